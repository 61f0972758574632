import {
  binOnEdges,
  numericReferenceCounts,
  type CategoricalProfile,
  type DatasetProfile,
  type NumericProfile,
} from '../data/profile.js';
import type { FeatureTable } from '../data/table.js';
import { psi } from './distances.js';

export {
  PSI_EPSILON,
  psi,
  jensenShannonDistance,
  ksStatistic,
  chiSquareHomogeneity,
  chiSquareGoodnessOfFit,
  type ChiSquareResult,
} from './distances.js';
export { chiSquareSf, chiSquareCdf, regularizedGammaP, regularizedGammaQ, lnGamma } from './gamma.js';

/**
 * Dataset drift of current data (a window of serving traffic) against a reference {@link DatasetProfile}.
 *
 * Method: PSI per feature. Numeric features are binned on the reference histogram edges; categorical features
 * on the reference's top categories plus `__other__` (OTHER_CATEGORY) (which also takes categories never seen in the
 * reference). Both use an extra bin for missing values, so a feature that suddenly goes missing drifts too.
 */

/** Drift of one feature. JSON-shaped. */
export interface FeatureDrift {
  name: string;
  type: 'numeric' | 'categorical';
  method: 'psi';
  score: number;
  /** `score > threshold`. */
  drifted: boolean;
  refMissingRate: number;
  curMissingRate: number;
}

/** Drift of a whole window. JSON-shaped. */
export interface DriftReport {
  /** Rows in the current data. */
  rows: number;
  features: FeatureDrift[];
  driftedCount: number;
  /** driftedCount / features.length. */
  share: number;
  /** `share >= driftShare`. */
  datasetDrift: boolean;
  threshold: number;
  driftShare: number;
  /** One human line, e.g. "drift: 3/7 features (plan 0.61, tenure_months 0.44)". */
  summary: string;
}

/** Options of {@link computeDrift}: the spec's `monitoring.driftThreshold` and `monitoring.driftShare`. */
export interface DriftOptions {
  threshold: number;
  driftShare: number;
}

const rate = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

function numericDrift(
  profile: NumericProfile,
  values: Float64Array | undefined,
  rows: number,
): { score: number; curMissing: number } {
  const current = binOnEdges(values ?? new Float64Array(rows).fill(NaN), profile.histogram.edges);
  return { score: psi(numericReferenceCounts(profile), current), curMissing: current[current.length - 1] as number };
}

function categoricalDrift(
  profile: CategoricalProfile,
  values: ReadonlyArray<string | null> | undefined,
  rows: number,
): { score: number; curMissing: number } {
  const index = new Map<string, number>();
  profile.top.forEach((c, i) => index.set(c.value, i));
  const otherBin = profile.top.length;
  const missingBin = otherBin + 1;
  const reference = [...profile.top.map((c) => c.count), profile.other, profile.missing];
  const current = new Float64Array(missingBin + 1);
  if (values === undefined) current[missingBin] = rows;
  else {
    for (const v of values) {
      const k = v === null || v === '' ? missingBin : (index.get(v) ?? otherBin);
      current[k] = (current[k] as number) + 1;
    }
  }
  return { score: psi(reference, current), curMissing: current[missingBin] as number };
}

/**
 * Scores every profiled feature of `current` with PSI against `profile`. A feature absent from `current`
 * counts as all missing. With zero current rows every score is 0 (the caller enforces `minSamples`).
 */
export function computeDrift(profile: DatasetProfile, current: FeatureTable, options: DriftOptions): DriftReport {
  const rows = current.rowCount;
  const features = profile.features.map((fp): FeatureDrift => {
    const { score, curMissing } =
      fp.type === 'numeric'
        ? numericDrift(fp, current.numeric[fp.name], rows)
        : categoricalDrift(fp, current.categorical[fp.name], rows);
    return {
      name: fp.name,
      type: fp.type,
      method: 'psi',
      score,
      drifted: rows > 0 && score > options.threshold,
      refMissingRate: rate(fp.missing, fp.count + fp.missing),
      curMissingRate: rate(curMissing, rows),
    };
  });
  const drifted = features.filter((f) => f.drifted);
  const share = rate(drifted.length, features.length);
  const datasetDrift = rows > 0 && features.length > 0 && share >= options.driftShare;
  const worst = [...drifted].sort((a, b) => b.score - a.score).slice(0, 5);
  const summary =
    `${datasetDrift ? 'drift' : 'no drift'}: ${drifted.length}/${features.length} features` +
    (worst.length > 0 ? ` (${worst.map((f) => `${f.name} ${f.score.toFixed(2)}`).join(', ')})` : '') +
    ` over ${rows} rows, PSI > ${options.threshold}`;
  return {
    rows,
    features,
    driftedCount: drifted.length,
    share,
    datasetDrift,
    threshold: options.threshold,
    driftShare: options.driftShare,
    summary,
  };
}
