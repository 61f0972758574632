import { LOWER_IS_BETTER, type MetricName } from '../spec/pipeline-spec.js';
import { formatAll, metricValue, TOLERANCE } from './format.js';
import {
  type PromotionCheck,
  type SliceGateInput,
  type SliceGateSummary,
  sliceChecks,
  sliceSummaryReason,
} from './slice-gate.js';

export type { CheckKind, PromotionCheck, SliceGateInput, SliceGateSummary } from './slice-gate.js';

/** The current champion: its registry version and holdout metrics. */
export interface ChampionMetrics {
  version: number;
  metrics: Record<string, number>;
}

/** What {@link decidePromotion} needs (the spec's `evaluation` block plus both models' metrics). */
export interface PromotionInput {
  primaryMetric: MetricName;
  /** Floor of the primary metric, or its ceiling when lower is better (`log_loss`, `rmse`, `mae`). */
  minimum: number;
  /** Required improvement over the champion, in the metric's units (>= 0). */
  minImprovement: number;
  /**
   * Required improvement over the champion as a fraction of the champion's magnitude (>= 0; 0.01 = 1%). Checked
   * only when above 0 and the champion's value is not 0.
   */
  minRelativeImprovement?: number;
  candidate: Record<string, number>;
  champion: ChampionMetrics | null;
  /** No regression on any gated slice (checked only against a comparable champion). */
  slices?: SliceGateInput;
}

/** JSON-shaped evidence of a decision (stored with the model version). */
export interface PromotionEvidence {
  primaryMetric: MetricName;
  direction: 'higher_is_better' | 'lower_is_better';
  candidate: number | null;
  minimum: number;
  meetsMinimum: boolean;
  champion: { version: number; value: number | null } | null;
  /** Candidate minus champion, sign-adjusted so positive is better; null without a comparable champion. */
  improvement: number | null;
  minImprovement: number;
  /** `improvement / |champion|`; null without a comparable, non-zero champion value. */
  relativeImprovement: number | null;
  minRelativeImprovement: number;
  /** Both improvement requirements (absolute and, when set, relative) are met; null without a comparable champion. */
  beatsChampion: boolean | null;
  /** Summary of the slice rule; null when it was not applied. */
  slices: SliceGateSummary | null;
  /** Every check made, in order; promotion needs every gated one to pass. */
  checks: PromotionCheck[];
}

/** A promotion decision with its reasons (human sentences) and evidence. */
export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
  evidence: PromotionEvidence;
}

/** The human sentence of an absolute improvement of `improvement` (sign-adjusted) against `required`. */
function improvementReason(
  metric: string,
  version: number,
  candidate: number,
  champion: number,
  improvement: number,
  required: number,
): string {
  const [cc, ch, diff, req] = formatAll(candidate, champion, Math.abs(improvement), required) as [
    string,
    string,
    string,
    string,
  ];
  if (improvement >= required - TOLERANCE) {
    return improvement > TOLERANCE
      ? `${metric} ${cc} improves on champion v${version} ${ch} by ${diff} (required ${req})`
      : `${metric} ${cc} matches champion v${version} ${ch} (required improvement ${req})`;
  }
  if (improvement > TOLERANCE)
    return `${metric} ${cc} improves on champion v${version} ${ch} by only ${diff} (required ${req})`;
  if (improvement < -TOLERANCE)
    return `${metric} ${cc} is worse than champion v${version} ${ch} by ${diff} (required improvement ${req})`;
  return `${metric} ${cc} only matches champion v${version} ${ch} (required improvement ${req})`;
}

/** The relative-improvement check, or a reported-only one when the champion's value is 0. */
function relativeCheck(
  metric: MetricName,
  version: number,
  champion: number,
  improvement: number,
  required: number,
): PromotionCheck {
  const base = { kind: 'relative_improvement' as const, metric, comparator: '>=' as const, threshold: required };
  if (Math.abs(champion) <= TOLERANCE) {
    return {
      ...base,
      observed: null,
      baseline: champion,
      passed: null,
      gated: false,
      reason: `champion v${version} ${metric} is 0: relative improvement is undefined; judged on the absolute one`,
    };
  }
  const relative = improvement / Math.abs(champion);
  const passed = relative >= required - TOLERANCE;
  const [rel, req] = formatAll(Math.abs(relative) * 100, required * 100) as [string, string];
  let reason: string;
  if (passed) reason = `${metric} improves on champion v${version} by ${rel}% (required ${req}%)`;
  else if (relative > TOLERANCE)
    reason = `${metric} improves on champion v${version} by only ${rel}% (required ${req}%)`;
  else if (relative < -TOLERANCE)
    reason = `${metric} is worse than champion v${version} by ${rel}% (required improvement ${req}%)`;
  else reason = `${metric} only matches champion v${version} (required improvement ${req}%)`;
  return { ...base, observed: relative, baseline: champion, passed, gated: true, reason };
}

/**
 * Champion/challenger decision, as expressive as MLflow's `MetricThreshold` and TFX's change thresholds:
 * - `minimum`: the candidate's primary metric must be `>=` the floor (`<=` the ceiling for lower-is-better metrics);
 * - `minImprovement`: against a champion with the primary metric, it must improve on it by at least this much
 *   (a tie passes when it is 0);
 * - `minRelativeImprovement`: and by at least this fraction of the champion's value (when above 0);
 * - `slices`: and no gated slice may be worse than the champion's on it by more than `maxRegression`.
 * The first model (no champion) is judged on the minimum alone. Every check, with observed value, threshold and
 * outcome, is in `evidence.checks`.
 */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { primaryMetric: metric, minimum, minImprovement } = input;
  const minRelative = input.minRelativeImprovement ?? 0;
  const lower = LOWER_IS_BETTER.has(metric);
  const candidate = metricValue(input.candidate, metric);
  const championValue = input.champion === null ? null : metricValue(input.champion.metrics, metric);
  const evidence: PromotionEvidence = {
    primaryMetric: metric,
    direction: lower ? 'lower_is_better' : 'higher_is_better',
    candidate,
    minimum,
    meetsMinimum: false,
    champion: input.champion === null ? null : { version: input.champion.version, value: championValue },
    improvement: null,
    minImprovement,
    relativeImprovement: null,
    minRelativeImprovement: minRelative,
    beatsChampion: null,
    slices: null,
    checks: [],
  };
  const reasons: string[] = [];
  const checks = evidence.checks;
  const decide = (): PromotionDecision => ({
    promote: checks.every((c) => !c.gated || c.passed === true),
    reasons,
    evidence,
  });
  const comparator = lower ? '<=' : '>=';

  if (candidate === null) {
    reasons.push(`the candidate has no finite ${metric} (got ${String(input.candidate[metric])}); it cannot be judged`);
    checks.push({
      kind: 'minimum',
      metric,
      observed: null,
      comparator,
      threshold: minimum,
      passed: false,
      gated: true,
      reason: reasons[0]!,
    });
    return decide();
  }

  const [c, m] = formatAll(candidate, minimum) as [string, string];
  evidence.meetsMinimum = lower ? candidate <= minimum + TOLERANCE : candidate >= minimum - TOLERANCE;
  if (lower) reasons.push(`${metric} ${c} ${evidence.meetsMinimum ? '<=' : '>'} maximum ${m} (lower is better)`);
  else reasons.push(`${metric} ${c} ${evidence.meetsMinimum ? '>=' : '<'} minimum ${m}`);
  checks.push({
    kind: 'minimum',
    metric,
    observed: candidate,
    comparator,
    threshold: minimum,
    passed: evidence.meetsMinimum,
    gated: true,
    reason: reasons[0]!,
  });

  if (input.champion === null) {
    reasons.push('no champion yet: the first model is judged on the minimum alone');
    return decide();
  }
  const v = input.champion.version;
  if (championValue === null) {
    reasons.push(`champion v${v} has no ${metric} to compare with: judged on the minimum alone`);
    return decide();
  }

  const improvement = lower ? championValue - candidate : candidate - championValue;
  evidence.improvement = improvement;
  evidence.beatsChampion = improvement >= minImprovement - TOLERANCE;
  const reason = improvementReason(metric, v, candidate, championValue, improvement, minImprovement);
  reasons.push(reason);
  checks.push({
    kind: 'improvement',
    metric,
    observed: improvement,
    comparator: '>=',
    threshold: minImprovement,
    baseline: championValue,
    passed: evidence.beatsChampion,
    gated: true,
    reason,
  });

  if (minRelative > 0) {
    const check = relativeCheck(metric, v, championValue, improvement, minRelative);
    evidence.relativeImprovement = check.observed;
    if (check.passed === false) evidence.beatsChampion = false;
    reasons.push(check.reason);
    checks.push(check);
  }

  if (input.slices !== undefined && input.slices.champion !== null) {
    const { checks: sliceResults, summary } = sliceChecks(
      metric,
      lower,
      { ...input.slices, champion: input.slices.champion },
      v,
    );
    evidence.slices = summary;
    for (const check of sliceResults) if (check.gated && check.passed === false) reasons.push(check.reason);
    reasons.push(sliceSummaryReason(metric, summary, v));
    checks.push(...sliceResults);
  }
  return decide();
}
