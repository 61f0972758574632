import { describe, expect, it } from 'vitest';
import { SpecValidationError } from './errors.js';
import { parseSpec } from './load-spec.js';
import { trainerSchema } from './trainer-spec.js';

const spec = (hyperparameters: string, algorithm = 'logistic_regression'): string => `
apiVersion: mlops/v1
model: churn
dataset: { uri: file://data/churn.csv, format: csv }
features:
  - { name: tenure, type: numeric }
label: { name: churned, task: binary }
trainer: { algorithm: ${algorithm}, hyperparameters: { ${hyperparameters} } }
evaluation: { primaryMetric: roc_auc, minimum: 0.7 }
`;

/** The problems of a spec with the given hyperparameters, by path. */
function problems(hyperparameters: string, algorithm?: string): Record<string, string> {
  try {
    parseSpec(spec(hyperparameters, algorithm), 'spec.yaml');
  } catch (err) {
    if (!(err instanceof SpecValidationError)) throw err;
    return Object.fromEntries(err.problems.map((p) => [p.path, p.message]));
  }
  throw new Error(`expected hyperparameters { ${hyperparameters} } to be rejected`);
}

const HP = 'trainer.hyperparameters';

describe('trainer hyperparameter ranges', () => {
  it('accepts values at the bounds', () => {
    const parsed = parseSpec(spec('learningRate: 10, epochs: 10000, batchSize: 1000000, l2: 100, patience: 1'));
    expect(parsed.trainer.hyperparameters).toMatchObject({ learningRate: 10, epochs: 10_000, batchSize: 1_000_000 });
    const low = parseSpec(
      spec('learningRate: 0.000001, epochs: 1, batchSize: 1, l2: 0, hiddenLayers: [1, 4096]', 'mlp'),
    );
    expect(low.trainer.hyperparameters).toMatchObject({ epochs: 1, batchSize: 1, l2: 0, hiddenLayers: [1, 4096] });
  });

  it.each([
    ['learningRate: 0', 'learningRate', />0/],
    ['learningRate: -0.1', 'learningRate', />0/],
    ['learningRate: 11', 'learningRate', /<=10/],
    ['epochs: 0', 'epochs', />=1/],
    ['epochs: 10001', 'epochs', /<=10000/],
    ['epochs: 2.5', 'epochs', /int/],
    ['batchSize: 0', 'batchSize', />=1/],
    ['batchSize: -4', 'batchSize', />=1/],
    ['batchSize: 1000001', 'batchSize', /<=1000000/],
    ['batchSize: 12.5', 'batchSize', /int/],
    ['l2: -0.001', 'l2', />=0/],
    ['l2: 101', 'l2', /<=100/],
    ['learningRate: .nan', 'learningRate', /number/],
    ['l2: .inf', 'l2', /number|<=100/],
  ])('rejects %s naming the path and the bound', (hyperparameters, key, bound) => {
    const found = problems(hyperparameters);
    expect(Object.keys(found)).toEqual([`${HP}.${key}`]);
    expect(found[`${HP}.${key}`]).toMatch(bound);
  });

  it.each([
    ['hiddenLayers: []', 'hiddenLayers', />=1/],
    ['hiddenLayers: [8, 8, 8]', 'hiddenLayers', /<=2/],
    ['hiddenLayers: [0]', 'hiddenLayers[0]', />=1/],
    ['hiddenLayers: [16, 4097]', 'hiddenLayers[1]', /<=4096/],
    ['hiddenLayers: [1.5]', 'hiddenLayers[0]', /int/],
    ['patience: 0', 'patience', />=1/],
    ['patience: 10001', 'patience', /<=10000/],
    ['optimizer: rmsprop', 'optimizer', /"sgd", "adam"/],
  ])('rejects the mlp setting %s naming the path and the bound', (hyperparameters, key, bound) => {
    const found = problems(hyperparameters, 'mlp');
    expect(Object.keys(found)).toEqual([`${HP}.${key}`]);
    expect(found[`${HP}.${key}`]).toMatch(bound);
  });

  it('reports every out-of-range hyperparameter at once, with the line', () => {
    try {
      parseSpec(spec('learningRate: 0, epochs: 0, batchSize: 0, l2: -1'), 'spec.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SpecValidationError);
      const e = err as SpecValidationError;
      expect(e.problems.map((p) => p.path).sort()).toEqual(
        ['batchSize', 'epochs', 'l2', 'learningRate'].map((k) => `${HP}.${k}`),
      );
      expect(e.problems.every((p) => p.line === 8)).toBe(true);
      expect(e.message).toMatch(/line 8: trainer\.hyperparameters\.batchSize: .*>=1/);
    }
  });

  it('rejects unknown hyperparameters', () => {
    expect(trainerSchema.safeParse({ algorithm: 'mlp', hyperparameters: { momentum: 0.9 } }).success).toBe(false);
  });
});
