import { FEW_DISTINCT_VALUES, type FeatureProfile } from '../data/profile.js';

/**
 * Drift methods and how a column's method is chosen. `auto` follows Evidently's defaults: with a reference of at
 * most {@link SMALL_REFERENCE_ROWS} rows, the two-sample KS test for numeric columns with more than
 * {@link FEW_VALUES} distinct values and the chi-square test for the others (categorical, or numeric with few
 * values), drift at p < 0.05; with a larger reference, the Wasserstein distance normalised by the reference's
 * standard deviation (drift at >= 0.1) for numeric columns and the Jensen-Shannon distance (>= 0.1) for the others.
 */

/** A method that scores one column. */
export const DRIFT_METHODS = ['psi', 'ks', 'chisquare', 'wasserstein', 'jensenshannon'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];
/** A method as the spec names it: one of {@link DRIFT_METHODS}, or `auto`. */
export type DriftMethodSetting = DriftMethod | 'auto';

/** Reference rows up to which `auto` picks statistical tests (KS, chi-square) instead of distances. */
export const SMALL_REFERENCE_ROWS = 1000;
/** Numeric columns with at most this many distinct reference values are tested like categories. */
export const FEW_VALUES = FEW_DISTINCT_VALUES;

/** Default threshold per method: a p-value for the tests, a distance otherwise. */
export const DEFAULT_DRIFT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  psi: 0.2,
  ks: 0.05,
  chisquare: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
};

/** Whether a method's score is a p-value (drift when below the threshold) rather than a distance. */
export function isTest(method: DriftMethod): boolean {
  return method === 'ks' || method === 'chisquare';
}

/** Whether `score` is drift under `method` and `threshold` (PSI: above; other distances: at or above; tests: below). */
export function isDrift(method: DriftMethod, score: number, threshold: number): boolean {
  if (!Number.isFinite(score)) return false;
  if (isTest(method)) return score < threshold;
  return method === 'psi' ? score > threshold : score >= threshold;
}

/** Methods that need numeric values (a CDF); the others work on counts of values or categories. */
export function needsNumeric(method: DriftMethod): boolean {
  return method === 'ks' || method === 'wasserstein';
}

/** Per-column override of the method and/or threshold. */
export interface ColumnDriftSetting {
  method?: DriftMethodSetting | undefined;
  threshold?: number | undefined;
}

/** How a column is judged: the settings after resolving `auto` against its reference profile. */
export interface ResolvedDrift {
  method: DriftMethod;
  threshold: number;
}

/**
 * The method and threshold for one column. An explicit `threshold` applies to an explicit method (column or
 * global); under `auto`, each method's default applies unless the column sets a threshold. A method the column
 * cannot take (KS or Wasserstein on a categorical column, or on a profile without the data it needs) falls back
 * to `auto`'s choice.
 */
export function resolveDrift(
  profile: FeatureProfile,
  global: { method: DriftMethodSetting; threshold?: number | undefined },
  column: ColumnDriftSetting | undefined,
): ResolvedDrift {
  const setting = column?.method ?? global.method;
  let method: DriftMethod = setting === 'auto' ? autoMethod(profile) : setting;
  if (!supports(profile, method)) method = autoMethod(profile);
  const explicitGlobal = column?.method === undefined && global.method !== 'auto' ? global.threshold : undefined;
  const threshold = column?.threshold ?? explicitGlobal ?? DEFAULT_DRIFT_THRESHOLDS[method];
  return { method, threshold };
}

function reference(profile: FeatureProfile): number {
  return profile.count + profile.missing;
}

/** Evidently's default method for a column's reference profile (see the module comment). */
export function autoMethod(profile: FeatureProfile): DriftMethod {
  const small = reference(profile) <= SMALL_REFERENCE_ROWS;
  if (profile.type === 'numeric') {
    if (profile.values === undefined || (profile.distinct ?? 0) > FEW_VALUES) {
      // Profiles written before these methods (or of an all-missing column) have no grid or sample: PSI.
      if (profile.grid === undefined || profile.sample === undefined) return 'psi';
      return small ? 'ks' : 'wasserstein';
    }
  }
  return small ? 'chisquare' : 'jensenshannon';
}

function supports(profile: FeatureProfile, method: DriftMethod): boolean {
  if (profile.type === 'categorical') return !needsNumeric(method);
  if (method === 'ks') return profile.sample !== undefined;
  if (method === 'wasserstein') return profile.grid !== undefined;
  if (method === 'chisquare' || method === 'jensenshannon') return profile.values !== undefined;
  return true;
}
