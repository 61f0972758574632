import type { FeatureTable } from './table.js';
import type { DataIssue, Severity } from './errors.js';
import type { DatasetProfile } from './profile.js';
import { computeDrift } from '../stats/drift.js';
import { isTest, type ColumnDriftSetting, type DriftMethodSetting } from '../stats/drift-methods.js';

/** PSI threshold of the skew check when the spec sets none. */
export const DEFAULT_SKEW_PSI_THRESHOLD = 0.25;

/** Options of {@link skewIssues}: the spec's `validation.skew` section. */
export interface SkewOptions {
  /** Method per column (PSI unless set). */
  method?: DriftMethodSetting | undefined;
  /** Threshold of an explicit method: 0.25 for PSI, the method's default otherwise. */
  threshold?: number | undefined;
  columns?: Readonly<Record<string, ColumnDriftSetting>> | undefined;
  severity: Severity;
  /** Version the reference profile belongs to, named in messages. */
  referenceVersion: number;
}

/**
 * Value skew of a new dataset against the reference profile of the current champion (TFX's skew check):
 * one issue per feature whose PSI exceeds the threshold, with the score in the message. The issues go to
 * `validateDataset` like read issues, so they are counted and summarised with the other anomalies.
 */
export function skewIssues(profile: DatasetProfile, table: FeatureTable, options: SkewOptions): DataIssue[] {
  const method = options.method ?? 'psi';
  const threshold = options.threshold ?? (method === 'psi' ? DEFAULT_SKEW_PSI_THRESHOLD : undefined);
  const report = computeDrift(profile, table, { method, threshold, columns: options.columns, driftShare: 1 });
  return report.features
    .filter((f) => f.drifted)
    .map((f) => ({
      severity: options.severity,
      code: 'value_skew',
      column: f.name,
      count: 1,
      examples: [],
      message:
        `column "${f.name}" is skewed against the training data of champion v${options.referenceVersion}: ` +
        (isTest(f.method)
          ? `${f.method} p-value ${f.score.toExponential(2)} < ${f.threshold}`
          : `${f.method === 'psi' ? 'PSI' : f.method} ${f.score.toFixed(3)} ${f.method === 'psi' ? '>' : '>='} ${f.threshold}`) +
        (Math.abs(f.curMissingRate - f.refMissingRate) > 0.05
          ? ` (missing ${(f.refMissingRate * 100).toFixed(1)}% -> ${(f.curMissingRate * 100).toFixed(1)}%)`
          : ''),
    }));
}
