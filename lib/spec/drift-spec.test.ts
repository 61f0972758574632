import { describe, expect, it } from 'vitest';
import { SpecValidationError } from './errors.js';
import { parseSpec } from './load-spec.js';

const BASE = `
apiVersion: mlops/v1
model: churn
dataset: { uri: file://data/churn.csv, format: csv }
features:
  - { name: tenure, type: numeric }
  - { name: plan, type: categorical }
label: { name: churned, task: binary }
trainer: { algorithm: logistic_regression }
evaluation: { primaryMetric: roc_auc, minimum: 0.7 }
`;

function messages(text: string): string {
  try {
    parseSpec(text, 'spec.yaml');
  } catch (err) {
    if (err instanceof SpecValidationError) return err.message;
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

describe('drift and validation settings in the spec', () => {
  it('defaults to Evidently-style auto drift, PSI skew and no severity overrides', () => {
    const spec = parseSpec(BASE);
    expect(spec.monitoring).toMatchObject({ driftMethod: 'auto', driftShare: 0.5, driftColumns: {} });
    expect(spec.monitoring.driftThreshold).toBeUndefined();
    expect(spec.validation).toEqual({
      minRows: 50,
      severity: {},
      skew: { method: 'psi', columns: {}, severity: 'warning' },
    });
  });

  it('reads a threshold without a method as PSI (specs written before driftMethod)', () => {
    const spec = parseSpec(`${BASE}monitoring: { driftThreshold: 0.25 }\n`);
    expect(spec.monitoring).toMatchObject({ driftMethod: 'psi', driftThreshold: 0.25 });
  });

  it('takes per-column overrides and per-check severities', () => {
    const spec = parseSpec(
      `${BASE}monitoring:\n  driftMethod: jensenshannon\n  driftThreshold: 0.15\n` +
        `  driftColumns: { tenure: { method: ks, threshold: 0.01 }, plan: { threshold: 0.3 } }\n` +
        `validation:\n  severity: { out_of_range: error, extra_column: 'off' }\n` +
        `  skew: { method: auto, columns: { tenure: { method: wasserstein } } }\n`,
    );
    expect(spec.monitoring.driftColumns).toEqual({
      tenure: { method: 'ks', threshold: 0.01 },
      plan: { threshold: 0.3 },
    });
    expect(spec.validation.severity).toEqual({ out_of_range: 'error', extra_column: 'off' });
    expect(spec.validation.skew.columns).toEqual({ tenure: { method: 'wasserstein' } });
  });

  it('rejects ambiguous or impossible settings with the path and the reason', () => {
    expect(messages(`${BASE}monitoring: { driftMethod: auto, driftThreshold: 0.1 }\n`)).toMatch(
      /monitoring\.driftThreshold.*explicit driftMethod/s,
    );
    expect(messages(`${BASE}monitoring: { driftColumns: { tenur: { method: ks } } }\n`)).toMatch(
      /monitoring\.driftColumns\.tenur.*"tenur" is not a feature/s,
    );
    expect(messages(`${BASE}monitoring: { driftColumns: { plan: { method: wasserstein } } }\n`)).toMatch(
      /"wasserstein" needs a numeric feature, but "plan" is categorical/,
    );
    expect(messages(`${BASE}monitoring: { driftColumns: { plan: {} } }\n`)).toMatch(/method.*threshold/);
    expect(messages(`${BASE}monitoring: { driftMethod: psy }\n`)).toMatch(/monitoring\.driftMethod/);
    expect(messages(`${BASE}validation: { severity: { missing_label_column: warning } }\n`)).toMatch(
      /validation\.severity/,
    );
  });
});
