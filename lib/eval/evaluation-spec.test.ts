// Tests of lib/spec/evaluation-spec.ts (the evaluation gate's settings).
import { describe, expect, it } from 'vitest';
import { evaluationProblems, evaluationSchema, resolveEvaluation } from '../spec/evaluation-spec.js';
import { parseSpec } from '../spec/load-spec.js';

const FEATURES = [
  { name: 'plan', type: 'categorical' },
  { name: 'region', type: 'categorical' },
  { name: 'age', type: 'numeric' },
];

describe('evaluation spec', () => {
  it('validates existing sections to the same value (no new defaults, same spec hash)', () => {
    expect(evaluationSchema.parse({ primaryMetric: 'roc_auc', minimum: 0.7 })).toEqual({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0,
    });
  });

  it('applies the slice defaults and resolves every default', () => {
    const parsed = evaluationSchema.parse({
      primaryMetric: 'macro_f1',
      minimum: 0.6,
      minRelativeImprovement: 0.01,
      slices: { features: ['plan'] },
    });
    expect(parsed.slices).toEqual({ features: ['plan'], minRows: 30, maxRegression: 0.02, gate: true });
    expect(resolveEvaluation({ primaryMetric: 'rmse', minimum: 3 })).toEqual({
      primaryMetric: 'rmse',
      minimum: 3,
      minImprovement: 0,
      minRelativeImprovement: 0,
      slices: null,
    });
    expect(resolveEvaluation(parsed).minRelativeImprovement).toBe(0.01);
  });

  it('rejects negative thresholds, empty slice lists, bad minRows and unknown fields', () => {
    const bad = (evaluation: unknown): boolean => !evaluationSchema.safeParse(evaluation).success;
    const ok = { primaryMetric: 'roc_auc', minimum: 0.7 };
    expect(bad({ ...ok, minRelativeImprovement: -0.1 })).toBe(true);
    expect(bad({ ...ok, slices: { features: [] } })).toBe(true);
    expect(bad({ ...ok, slices: { features: ['plan'], minRows: 0 } })).toBe(true);
    expect(bad({ ...ok, slices: { features: ['plan'], minRows: 2.5 } })).toBe(true);
    expect(bad({ ...ok, slices: { features: ['plan'], maxRegression: -1 } })).toBe(true);
    expect(bad({ ...ok, slices: { features: ['plan'], extra: 1 } })).toBe(true);
    expect(bad({ ...ok, slices: { features: ['plan'], minRows: 1, maxRegression: 0, gate: false } })).toBe(false);
  });

  it('parses inside a pipeline spec', () => {
    const spec = parseSpec(`
apiVersion: mlops/v1
model: churn
dataset: { uri: file://data/churn.csv, format: csv }
features:
  - { name: plan, type: categorical }
label: { name: churned, task: binary }
trainer: { algorithm: logistic_regression }
evaluation:
  primaryMetric: roc_auc
  minimum: 0.7
  minRelativeImprovement: 0.02
  slices: { features: [plan], maxRegression: 0.05 }
`);
    expect(spec.evaluation).toEqual({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0,
      minRelativeImprovement: 0.02,
      slices: { features: ['plan'], minRows: 30, maxRegression: 0.05, gate: true },
    });
  });
});

describe('evaluationProblems', () => {
  it('accepts a metric of the task and categorical slice features', () => {
    const evaluation = evaluationSchema.parse({
      primaryMetric: 'log_loss',
      minimum: 1,
      slices: { features: ['plan', 'region'] },
    });
    expect(evaluationProblems(evaluation, 'multiclass', FEATURES)).toEqual([]);
    expect(evaluationProblems(evaluation, 'binary', FEATURES)).toEqual([]);
  });

  it('names a metric the task does not compute and bad slice features', () => {
    const evaluation = evaluationSchema.parse({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      slices: { features: ['plan', 'age', 'nope', 'plan'] },
    });
    expect(evaluationProblems(evaluation, 'regression', FEATURES)).toEqual([
      { path: ['primaryMetric'], message: '"roc_auc" is not a regression metric; use one of "rmse", "mae", "r2"' },
      { path: ['slices', 'features', 1], message: '"age" is numeric; slices need a categorical feature' },
      { path: ['slices', 'features', 2], message: '"nope" is not a feature of this spec' },
      { path: ['slices', 'features', 3], message: '"plan" is listed twice' },
    ]);
    const multiclass = evaluationSchema.parse({ primaryMetric: 'f1', minimum: 0.5 });
    expect(evaluationProblems(multiclass, 'multiclass', FEATURES)[0]?.message).toBe(
      '"f1" is not a multiclass metric; use one of "accuracy", "macro_f1", "log_loss"',
    );
  });
});
