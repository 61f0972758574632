import { LOWER_IS_BETTER, type MetricName } from '../spec/pipeline-spec.js';

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
  candidate: Record<string, number>;
  champion: ChampionMetrics | null;
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
  /** Null when there is no comparable champion. */
  beatsChampion: boolean | null;
}

/** A promotion decision with its reasons (human sentences) and evidence. */
export interface PromotionDecision {
  promote: boolean;
  reasons: string[];
  evidence: PromotionEvidence;
}

/** Absorbs floating-point noise in differences such as 0.3 - 0.1 (never changes a real decision). */
const TOLERANCE = 1e-12;

/** Formats numbers with 3 decimals, or more when 3 would make different values print alike. */
function formatAll(...values: number[]): string[] {
  for (let digits = 3; digits < 10; digits++) {
    const out = values.map((v) => v.toFixed(digits));
    const clash = values.some((a, i) => values.some((b, j) => Math.abs(a - b) > TOLERANCE && out[i] === out[j]));
    if (!clash) return out;
  }
  return values.map((v) => String(v));
}

function metricValue(metrics: Record<string, number> | undefined, name: string): number | null {
  const v = metrics?.[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Champion/challenger decision. The candidate must meet the minimum (`>=`, or `<=` for lower-is-better metrics);
 * with a champion that has the primary metric it must also improve on it by at least `minImprovement`
 * (a tie passes when `minImprovement` is 0). The first model (no champion) is judged on the minimum alone.
 */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { primaryMetric: metric, minimum, minImprovement } = input;
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
    beatsChampion: null,
  };
  const reasons: string[] = [];

  if (candidate === null) {
    reasons.push(`the candidate has no finite ${metric} (got ${String(input.candidate[metric])}); it cannot be judged`);
    return { promote: false, reasons, evidence };
  }

  const [c, m] = formatAll(candidate, minimum) as [string, string];
  evidence.meetsMinimum = lower ? candidate <= minimum + TOLERANCE : candidate >= minimum - TOLERANCE;
  if (lower) reasons.push(`${metric} ${c} ${evidence.meetsMinimum ? '<=' : '>'} maximum ${m} (lower is better)`);
  else reasons.push(`${metric} ${c} ${evidence.meetsMinimum ? '>=' : '<'} minimum ${m}`);

  if (input.champion === null) {
    reasons.push('no champion yet: the first model is judged on the minimum alone');
    return { promote: evidence.meetsMinimum, reasons, evidence };
  }
  const v = input.champion.version;
  if (championValue === null) {
    reasons.push(`champion v${v} has no ${metric} to compare with: judged on the minimum alone`);
    return { promote: evidence.meetsMinimum, reasons, evidence };
  }

  const improvement = lower ? championValue - candidate : candidate - championValue;
  evidence.improvement = improvement;
  evidence.beatsChampion = improvement >= minImprovement - TOLERANCE;
  const [cc, ch, diff, req] = formatAll(candidate, championValue, Math.abs(improvement), minImprovement) as [
    string,
    string,
    string,
    string,
  ];
  if (evidence.beatsChampion) {
    reasons.push(
      improvement > TOLERANCE
        ? `${metric} ${cc} improves on champion v${v} ${ch} by ${diff} (required ${req})`
        : `${metric} ${cc} matches champion v${v} ${ch} (required improvement ${req})`,
    );
  } else if (improvement > TOLERANCE) {
    reasons.push(`${metric} ${cc} improves on champion v${v} ${ch} by only ${diff} (required ${req})`);
  } else if (improvement < -TOLERANCE) {
    reasons.push(`${metric} ${cc} is worse than champion v${v} ${ch} by ${diff} (required improvement ${req})`);
  } else {
    reasons.push(`${metric} ${cc} only matches champion v${v} ${ch} (required improvement ${req})`);
  }
  return { promote: evidence.meetsMinimum && evidence.beatsChampion, reasons, evidence };
}
