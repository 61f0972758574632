import { describe, expect, it } from 'vitest';
import { SpecValidationError } from './errors.js';
import { loadSpecFile, parseSpec } from './load-spec.js';
import { specHash } from './spec-hash.js';
import { resolveTuning } from './tuning-spec.js';

const BASE = `
apiVersion: mlops/v1
model: churn
dataset: { uri: file://data/churn.csv, format: csv }
features:
  - { name: tenure, type: numeric }
label: { name: churned, task: binary }
trainer: { algorithm: mlp }
evaluation: { primaryMetric: roc_auc, minimum: 0.7 }
`;

function problemsOf(text: string): Array<{ path: string; message: string }> {
  try {
    parseSpec(text, 'spec.yaml');
  } catch (err) {
    if (err instanceof SpecValidationError) return err.problems.map((p) => ({ path: p.path, message: p.message }));
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

describe('tuning spec', () => {
  it('parses a search space and resolves defaults from the task and split seed', () => {
    const spec = parseSpec(`${BASE}
split: { seed: 9, validation: 0.25 }
tuning:
  trials: 8
  space:
    learningRate: { min: 0.001, max: 0.3, scale: log }
    hiddenLayers: { values: [[16], [32, 16]] }
    epochs: { min: 5, max: 20, type: int }
`);
    expect(spec.split.validation).toBe(0.25);
    expect(spec.tuning?.maxParallel).toBe(2);
    expect(spec.tuning?.space['learningRate']).toEqual({ min: 0.001, max: 0.3, scale: 'log', type: 'float' });
    const resolved = resolveTuning(spec.tuning!, spec.label.task, spec.split.seed);
    expect(resolved).toMatchObject({ trials: 8, metric: 'log_loss', direction: 'minimize', seed: 9, search: 'random' });
    expect(resolveTuning({ ...spec.tuning!, metric: 'roc_auc' }, 'binary', 1).direction).toBe('maximize');
    expect(resolveTuning({ ...spec.tuning!, trials: undefined }, 'regression', 1)).toMatchObject({
      trials: 10,
      metric: 'rmse',
      direction: 'minimize',
    });
  });

  it('accepts the example tuned spec', async () => {
    const spec = await loadSpecFile('examples/churn/pipeline-tuned.yaml');
    expect(resolveTuning(spec.tuning!, spec.label.task, spec.split.seed)).toMatchObject({
      trials: 8,
      maxParallel: 2,
      metric: 'log_loss',
      direction: 'minimize',
      seed: 7,
    });
  });

  it('defaults grid trials to the grid size', () => {
    const spec = parseSpec(`${BASE}
tuning:
  search: grid
  space: { l2: { values: [0, 0.001, 0.01] }, optimizer: { values: [sgd, adam] } }
`);
    expect(resolveTuning(spec.tuning!, 'binary', 42).trials).toBe(6);
  });

  it('leaves specs without tuning or a validation split unchanged (same hash)', () => {
    const spec = parseSpec(BASE);
    expect(spec.tuning).toBeUndefined();
    expect(spec.split).toEqual({ holdoutFraction: 0.2, seed: 42 });
    expect(specHash(spec)).toBe(specHash(parseSpec(BASE)));
  });

  it('rejects unknown hyperparameters, out-of-range values and metrics of another task, with paths', () => {
    const problems = problemsOf(`${BASE}
tuning:
  metric: rmse
  space:
    learning_rate: { min: 0.01, max: 0.1 }
    learningRate: { min: 0.01, max: 50 }
    l2: { values: [0.1, -1] }
    epochs: { min: 5, max: 20 }
    optimizer: { values: [sgd, rmsprop] }
`);
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('tuning.space.learning_rate');
    expect(problems.find((p) => p.path === 'tuning.space.learning_rate')?.message).toMatch(
      /not a trainer hyperparameter/,
    );
    expect(paths).toContain('tuning.space.learningRate.max');
    expect(paths).toContain('tuning.space.l2.values[1]');
    expect(paths).toContain('tuning.space.epochs.type');
    expect(paths).toContain('tuning.space.optimizer.values[1]');
    expect(problems.find((p) => p.path === 'tuning.metric')?.message).toMatch(/not a binary validation metric/);
  });

  it('rejects malformed ranges and grid searches over ranges or beyond the grid', () => {
    const ranges = problemsOf(`${BASE}
tuning:
  space:
    learningRate: { min: 0, max: 0.1, scale: log }
    l2: { min: 0.1, max: 0.01 }
`).map((p) => p.path);
    expect(ranges).toEqual(expect.arrayContaining(['tuning.space.learningRate.min', 'tuning.space.l2.max']));
    const grid = problemsOf(`${BASE}
tuning:
  search: grid
  trials: 5
  space: { learningRate: { min: 0.01, max: 0.1 }, l2: { values: [0, 0.1] } }
`);
    expect(grid.find((p) => p.path === 'tuning.space.learningRate')?.message).toMatch(/grid search needs a list/);
    const tooMany = problemsOf(`${BASE}
tuning: { search: grid, trials: 5, space: { l2: { values: [0, 0.1] } } }
`);
    expect(tooMany).toEqual([{ path: 'tuning.trials', message: 'grid search has 2 grid point(s), fewer than 5' }]);
    expect(problemsOf(`${BASE}\nsplit: { validation: 1 }\n`).map((p) => p.path)).toEqual(['split.validation']);
  });

  it('bounds a grid search: more than 1000 points needs trials, more than 100,000 is refused', () => {
    const values = `[${Array.from({ length: 40 }, (_, i) => i / 100).join(', ')}]`;
    const twoDims = `space: { l2: { values: ${values} }, learningRate: { values: ${values.replace('[0,', '[0.001,')} } }`;
    expect(problemsOf(`${BASE}\ntuning: { search: grid, ${twoDims} }\n`)).toEqual([
      {
        path: 'tuning.trials',
        message: 'grid search has 1600 grid points, more than 1000 trials: set trials to sample some of them',
      },
    ]);
    expect(() => parseSpec(`${BASE}\ntuning: { search: grid, trials: 20, ${twoDims} }\n`, 'spec.yaml')).not.toThrow();
    const fourDims = `space: { l2: { values: ${values} }, learningRate: { values: ${values.replace('[0,', '[0.001,')} }, epochs: { values: [${Array.from({ length: 40 }, (_, i) => i + 1).join(', ')}] }, batchSize: { values: [${Array.from({ length: 40 }, (_, i) => i + 1).join(', ')}] } }`;
    expect(problemsOf(`${BASE}\ntuning: { search: grid, trials: 20, ${fourDims} }\n`)).toEqual([
      { path: 'tuning.space', message: 'grid search has 2560000 grid points; at most 100000' },
    ]);
  });
});
