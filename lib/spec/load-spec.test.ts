import { describe, expect, it } from 'vitest';
import { SpecValidationError } from './errors.js';
import { loadSpecFile, parseSpec } from './load-spec.js';
import { parseDuration } from './duration.js';

const VALID = `
apiVersion: mlops/v1
model: churn
dataset: { uri: file://data/churn.csv, format: csv }
features:
  - { name: tenure, type: numeric, constraints: { min: 0 } }
  - { name: plan, type: categorical, constraints: { values: [basic, premium] } }
label: { name: churned, task: binary }
trainer: { algorithm: logistic_regression }
evaluation: { primaryMetric: roc_auc, minimum: 0.7 }
`;

function problems(text: string): SpecValidationError {
  try {
    parseSpec(text, 'spec.yaml');
  } catch (err) {
    if (err instanceof SpecValidationError) return err;
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

describe('pipeline spec', () => {
  it('accepts the example spec and applies defaults', async () => {
    const spec = await loadSpecFile('examples/churn/pipeline.yaml');
    expect(spec.model).toBe('churn');
    expect(spec.trainer.resources).toBe('gpu');
    const minimal = parseSpec(VALID);
    expect(minimal.split).toEqual({ holdoutFraction: 0.2, seed: 42 });
    expect(minimal.trainer.hyperparameters.epochs).toBe(30);
    expect(minimal.trainer.gpuFallback).toBe('cpu');
    expect(minimal.monitoring.window).toBe('5m');
    expect(minimal.label.positive).toBe('1');
  });

  it('names the line, path, expectation and found value of every problem', () => {
    const err = problems(
      VALID.replace('model: churn', 'model: Churn')
        .replace('format: csv', 'format: xls')
        .replace('type: numeric, constraints: { min: 0 }', 'type: numeric, constraints: { min: "zero" }')
        .replace('algorithm: logistic_regression', 'algorithm: logistic_regression, resources: tpu')
        .concat('extra: 1\n'),
    );
    const byPath = Object.fromEntries(err.problems.map((p) => [p.path, p]));
    expect(byPath['model']?.message).toMatch(/lower-case.*found "Churn"/);
    expect(byPath['model']?.line).toBe(3);
    expect(byPath['dataset.format']?.message).toBe('expected one of "csv", "jsonl", "parquet"; found "xls"');
    expect(byPath['features[0].constraints.min']?.message).toBe('expected number; found "zero"');
    expect(byPath['trainer.resources']?.message).toBe('expected one of "cpu", "gpu"; found "tpu"');
    expect(byPath['']?.message).toBe('unknown field "extra"');
    expect(err.message).toContain('invalid pipeline spec spec.yaml:');
    expect(err.message).toContain('line 3: model:');
  });

  it('reports missing required fields and bad discriminators', () => {
    const err = problems(VALID.replace(/evaluation:.*\n/, '').replace('type: categorical', 'type: categoric'));
    const paths = err.problems.map((p) => `${p.path}: ${p.message}`);
    expect(paths).toContain('evaluation: required field is missing (expected object)');
    expect(paths.some((p) => p.startsWith('features[1].type') && p.includes('found "categoric"'))).toBe(true);
  });

  it('rejects duplicate features, a feature named like the label, and a trainer that cannot learn the task', () => {
    const err = problems(
      VALID.replace('- { name: plan,', '- { name: tenure,')
        .replace('task: binary', 'task: regression')
        .replace('name: churned', 'name: tenure'),
    );
    const messages = err.problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toContain('features[1].name: duplicate feature name "tenure" (also features[0])');
    expect(messages).toContain('features[0].name: feature "tenure" is also the label');
    expect(messages.some((m) => m.startsWith('trainer.algorithm') && m.includes('binary tasks only'))).toBe(true);
  });

  it('rejects bad durations, schedules and YAML syntax', () => {
    const err = problems(`${VALID}monitoring: { window: 5 minutes }\nschedule: { every: soon }\n`);
    expect(err.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['monitoring.window', 'schedule.every']));
    const syntax = problems('model: [unclosed\n');
    expect(syntax.problems[0]?.message).toMatch(/^YAML syntax/);
    expect(syntax.problems[0]?.line).toBeGreaterThan(0);
  });

  it('fails clearly on an unreadable file', async () => {
    await expect(loadSpecFile('no/such/spec.yaml')).rejects.toThrow(/no\/such\/spec.yaml.*cannot read file/s);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('200ms')).toBe(200);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
  });
});
