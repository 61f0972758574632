import type { FeatureTable } from './table.js';
import type { DataIssue, Severity } from './errors.js';
import type { DatasetProfile } from './profile.js';
import { computeDrift } from '../stats/drift.js';

/** Options of {@link skewIssues}: the spec's `validation.skew` section. */
export interface SkewOptions {
  /** PSI above which a feature's values are skewed against the reference. */
  threshold: number;
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
  const report = computeDrift(profile, table, { threshold: options.threshold, driftShare: 1 });
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
        `PSI ${f.score.toFixed(3)} > ${options.threshold}` +
        (Math.abs(f.curMissingRate - f.refMissingRate) > 0.05
          ? ` (missing ${(f.refMissingRate * 100).toFixed(1)}% -> ${(f.curMissingRate * 100).toFixed(1)}%)`
          : ''),
    }));
}
