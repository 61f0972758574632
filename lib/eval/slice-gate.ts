import type { MetricName } from '../spec/pipeline-spec.js';
import { formatAll, metricValue, TOLERANCE } from './format.js';
import { type SliceKey, type SliceMetrics, sliceId, sliceName } from './slices.js';

/** Which rule a {@link PromotionCheck} applies. */
export type CheckKind = 'minimum' | 'improvement' | 'relative_improvement' | 'slice_regression';

/** One rule of a promotion decision with what was observed. JSON-shaped. */
export interface PromotionCheck {
  kind: CheckKind;
  metric: MetricName;
  /** For `slice_regression`: the slice and its row count. */
  slice?: SliceKey & { rows: number };
  /**
   * `minimum`: the candidate's value; `improvement`: candidate minus champion, sign-adjusted so positive is
   * better; `relative_improvement`: that improvement as a fraction of the champion's magnitude;
   * `slice_regression`: the candidate's value on the slice. Null when it could not be computed.
   */
  observed: number | null;
  /** How `observed` must compare with `threshold` to pass. */
  comparator: '>=' | '<=';
  threshold: number;
  /** The champion's value the check compares with (overall, or on the slice). */
  baseline?: number;
  /** Null when the check could not be evaluated (a value is missing or not finite). */
  passed: boolean | null;
  /** Whether the check decides promotion; false: reported only (e.g. a slice smaller than `minRows`). */
  gated: boolean;
  /** One human sentence. */
  reason: string;
}

/** The optional no-regression-on-any-slice rule of {@link decidePromotion}. */
export interface SliceGateInput {
  /** Largest tolerated worsening of the primary metric on a slice, in the metric's units (>= 0). */
  maxRegression: number;
  /** The candidate's metrics per slice (their `gated` flag marks slices large enough to judge). */
  candidate: readonly SliceMetrics[];
  /** The champion's metrics on the same slices of the same holdout; null without a champion. */
  champion: readonly SliceMetrics[] | null;
}

/** Counts of the slice rule's checks, for the evidence. */
export interface SliceGateSummary {
  maxRegression: number;
  /** Gated slices compared. */
  judged: number;
  /** Gated slices that regress by more than `maxRegression`. */
  failed: number;
  /** Slices reported only: smaller than `minRows`, or without comparable values. */
  reportedOnly: number;
}

/**
 * One `slice_regression` check per candidate slice: the slice regresses when the candidate's `metric` is worse than
 * the champion's on it by more than `maxRegression`. Slices below `minRows` (`gated: false`) and slices where either
 * value is not finite (e.g. ROC AUC of a one-class slice) are reported but not gated.
 */
export function sliceChecks(
  metric: MetricName,
  lowerIsBetter: boolean,
  input: SliceGateInput & { champion: readonly SliceMetrics[] },
  championVersion: number,
): { checks: PromotionCheck[]; summary: SliceGateSummary } {
  const { maxRegression } = input;
  const champion = new Map(input.champion.map((s) => [sliceId(s), s]));
  const checks: PromotionCheck[] = [];
  const summary: SliceGateSummary = { maxRegression, judged: 0, failed: 0, reportedOnly: 0 };
  for (const slice of input.candidate) {
    const name = `slice ${sliceName(slice)} (${slice.rows} rows)`;
    const c = metricValue(slice.metrics, metric);
    const ch = metricValue(champion.get(sliceId(slice))?.metrics, metric);
    const key = { feature: slice.feature, value: slice.value, rows: slice.rows };
    const comparator = lowerIsBetter ? '<=' : '>=';
    if (c === null || ch === null) {
      summary.reportedOnly++;
      const missing = c === null ? 'the candidate' : `champion v${championVersion}`;
      checks.push({
        kind: 'slice_regression',
        metric,
        slice: key,
        observed: c,
        comparator,
        threshold: maxRegression,
        passed: null,
        gated: false,
        reason: `${name}: ${missing} has no finite ${metric} here; reported only`,
      });
      continue;
    }
    const regression = lowerIsBetter ? c - ch : ch - c;
    const passed = regression <= maxRegression + TOLERANCE;
    const [cc, chs, reg, tol] = formatAll(c, ch, Math.abs(regression), maxRegression) as [
      string,
      string,
      string,
      string,
    ];
    let reason: string;
    if (regression <= TOLERANCE)
      reason = `${name}: ${metric} ${cc} vs champion v${championVersion} ${chs}, no regression`;
    else if (passed)
      reason = `${name}: ${metric} ${cc} vs champion v${championVersion} ${chs}, regression ${reg} within ${tol}`;
    else
      reason = `${name}: ${metric} ${cc} regresses from champion v${championVersion} ${chs} by ${reg} (tolerated ${tol})`;
    if (!slice.gated) {
      summary.reportedOnly++;
      reason += '; below minRows, reported only';
    } else {
      summary.judged++;
      if (!passed) summary.failed++;
    }
    checks.push({
      kind: 'slice_regression',
      metric,
      slice: key,
      observed: c,
      comparator,
      threshold: lowerIsBetter ? ch + maxRegression : ch - maxRegression,
      baseline: ch,
      passed,
      gated: slice.gated,
      reason,
    });
  }
  return { checks, summary };
}

/** One line summing up the slice rule for the decision's reasons. */
export function sliceSummaryReason(metric: MetricName, summary: SliceGateSummary, championVersion: number): string {
  const [tol] = formatAll(summary.maxRegression) as [string];
  const extra = summary.reportedOnly > 0 ? ` (${summary.reportedOnly} more reported only)` : '';
  if (summary.failed > 0)
    return `${summary.failed} of ${summary.judged} slices regress on ${metric} vs champion v${championVersion} by more than ${tol}${extra}`;
  return `no slice regresses on ${metric} vs champion v${championVersion} by more than ${tol}: ${summary.judged} slices judged${extra}`;
}
