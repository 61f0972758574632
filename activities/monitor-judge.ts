import type { MonitorWindowInput, MonitorWindowReport } from '../contracts/monitoring.js';
import type { ModelTask } from '../lib/eval/model-outputs.js';
import { windowErrorRate, type WindowErrorRate } from '../lib/monitoring/error-rate.js';
import { windowPerformance } from '../lib/monitoring/window-performance.js';
import type { LabelledPrediction } from '../lib/registry/model-registry.js';
import type { ActivityDeps } from './deps.js';

/** Fewest labelled predictions before performance is judged. */
export const MIN_LABELLED = 50;

/**
 * Performance of the deployed version on the window's labelled predictions, by task, against the floor and the
 * version's holdout metrics (tolerance). `performance` is null with fewer than {@link MIN_LABELLED} labelled rows,
 * for a binary version without a positive label, or when the metric is undefined on the window.
 */
export async function judgePerformance(
  deps: ActivityDeps,
  input: MonitorWindowInput,
  ctx: {
    model: string;
    version: number;
    task: ModelTask;
    positive: string | undefined;
    labelledRows: readonly LabelledPrediction[];
  },
): Promise<{ performance: MonitorWindowReport['performance']; breach: string | null }> {
  const { labelledRows, task } = ctx;
  if (labelledRows.length < MIN_LABELLED || (task === 'binary' && ctx.positive === undefined))
    return { performance: null, breach: null };
  const tolerance = input.performanceTolerance ?? null;
  const baseline =
    tolerance === null ? null : ((await deps.registry.getVersion(ctx.model, ctx.version))?.metrics ?? null);
  const judged = windowPerformance({
    task,
    rows: labelledRows,
    positive: ctx.positive,
    primaryMetric: input.primaryMetric,
    baseline,
    floor: input.performanceFloor,
    tolerance,
  });
  if (!judged) return { performance: null, breach: null };
  const { count: _count, ...performance } = judged;
  return { performance, breach: judged.breach };
}

/** Request counts and error rates of the deployed version in the window, against `maxErrorRate`. */
export async function judgeErrorRate(
  deps: ActivityDeps,
  input: MonitorWindowInput,
  version: number,
): Promise<WindowErrorRate> {
  const counts = (await deps.registry.readRequestCounts(input.model, input.windowStart, input.windowEnd)).find(
    (c) => c.version === version,
  ) ?? { total: 0, clientErrors: 0, serverErrors: 0 };
  return windowErrorRate(
    { total: counts.total, clientErrors: counts.clientErrors, serverErrors: counts.serverErrors },
    input.maxErrorRate ?? null,
    input.errorRateCounts ?? 'server',
  );
}
