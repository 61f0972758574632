/** Test data for registry tests (no vitest imports: child processes use it too). */
import type { Lineage, NewModelVersion } from '../../../lib/registry/types.js';

export function lineage(overrides: Partial<Lineage> = {}): Lineage {
  return {
    datasetUri: 'file:///data/churn.csv',
    datasetSha256: 'a'.repeat(64),
    datasetRows: 1000,
    schemaFingerprint: 'f'.repeat(16),
    profileUri: 'file:///artifacts/profiles/churn.json',
    specHash: 'b'.repeat(64),
    codeVersion: 'test',
    trainer: 'logistic_regression',
    hyperparameters: { epochs: 10, lr: 0.1, balanced: true, solver: 'sgd' },
    parentVersion: null,
    ...overrides,
  };
}

export function newVersion(model: string, runId: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    model,
    runId,
    artifactUri: `file:///artifacts/models/${model}/runs/${runId}/model.onnx`,
    artifactSha256: 'c'.repeat(64),
    metrics: { accuracy: 0.91, roc_auc: 0.95 },
    lineage: lineage(),
    spec: {
      apiVersion: 'mlops/v1',
      model,
      features: [
        { name: 'tenure', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
      ],
      label: { name: 'churned', task: 'binary', positive: '1' },
    },
    decision: { promote: true, reasons: ['first version'] },
    trigger: 'manual',
    ...overrides,
  };
}
