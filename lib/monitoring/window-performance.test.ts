import { describe, expect, it } from 'vitest';
import { windowErrorRate } from './error-rate.js';
import { windowPerformance, type LabelledRow } from './window-performance.js';

const base = { baseline: null, floor: null, tolerance: null };

describe('windowPerformance', () => {
  it('binary: AUC and accuracy, a breach below the floor', () => {
    const rows: LabelledRow[] = [
      { prediction: 'yes', score: 0.9, label: 'yes' },
      { prediction: 'no', score: 0.2, label: 'no' },
      { prediction: 'yes', score: 0.6, label: 'no' },
      { prediction: 'no', score: 0.4, label: 'yes' },
    ];
    const p = windowPerformance({
      ...base,
      task: 'binary',
      rows,
      positive: 'yes',
      primaryMetric: 'roc_auc',
      floor: 0.8,
    })!;
    expect(p.metric).toBe('roc_auc');
    expect(p.value).toBeCloseTo(0.75);
    expect(p.metrics['accuracy']).toBeCloseTo(0.5);
    expect(p.breach).toBe('below floor 0.8');
  });

  it('multiclass: accuracy and macro-F1 from predicted classes; tolerance against the holdout value', () => {
    const rows: LabelledRow[] = [
      { prediction: 'a', score: 0.7, label: 'a' },
      { prediction: 'b', score: 0.6, label: 'b' },
      { prediction: 'c', score: 0.5, label: 'a' },
      { prediction: 'a', score: 0.9, label: 'c' },
    ];
    const p = windowPerformance({
      ...base,
      task: 'multiclass',
      rows,
      primaryMetric: 'log_loss', // not computable from the log: accuracy is judged
      baseline: { accuracy: 0.9, macro_f1: 0.88 },
      tolerance: 0.1,
    })!;
    expect(p.metric).toBe('accuracy');
    expect(p.value).toBeCloseTo(0.5);
    // sklearn f1_score(['a','b','a','c'], ['a','b','c','a'], average='macro') = (0.5 + 1 + 0) / 3
    expect(p.metrics['macro_f1']).toBeCloseTo(0.5);
    expect(p.baseline).toBe(0.9);
    expect(p.breach).toMatch(/^0\.400 worse than the holdout's 0\.900/);
    expect(
      windowPerformance({
        ...base,
        task: 'multiclass',
        rows,
        primaryMetric: 'accuracy',
        tolerance: 0.5,
        baseline: { accuracy: 0.9 },
      })!.breach,
    ).toBeNull();
  });

  it('regression: RMSE and MAE, lower is better; unusable labels skipped', () => {
    const rows: LabelledRow[] = [
      { prediction: 1, score: 1, label: 2 },
      { prediction: 3, score: 3, label: '3' },
      { prediction: 5, score: 5, label: 'n/a' },
      { prediction: 0, score: 0, label: 2 },
    ];
    const p = windowPerformance({
      ...base,
      task: 'regression',
      rows,
      primaryMetric: 'rmse',
      baseline: { rmse: 0.5 },
      tolerance: 0.5,
    })!;
    expect(p.count).toBe(3);
    expect(p.lowerIsBetter).toBe(true);
    expect(p.value).toBeCloseTo(Math.sqrt(5 / 3));
    expect(p.metrics['mae']).toBeCloseTo(1);
    expect(p.breach).toMatch(/worse than the holdout's 0\.500/);
    expect(
      windowPerformance({ ...base, task: 'regression', rows, primaryMetric: 'rmse', floor: 2 })!.breach,
    ).toBeNull();
    expect(windowPerformance({ ...base, task: 'regression', rows, primaryMetric: 'mae', floor: 0.9 })!.breach).toBe(
      'above ceiling 0.9',
    );
  });

  it('is null without usable labels or with an undefined metric', () => {
    expect(windowPerformance({ ...base, task: 'regression', rows: [], primaryMetric: 'rmse' })).toBeNull();
    const oneClass: LabelledRow[] = [{ prediction: 'yes', score: 0.9, label: 'yes' }];
    expect(
      windowPerformance({ ...base, task: 'binary', rows: oneClass, positive: 'yes', primaryMetric: 'roc_auc' }),
    ).toBeNull();
  });
});

describe('windowErrorRate', () => {
  it('counts server errors toward the breach by default, client errors only with "all"', () => {
    const counts = { total: 100, clientErrors: 10, serverErrors: 3 };
    const server = windowErrorRate(counts, 0.05);
    expect(server.errorRate).toBeCloseTo(0.03);
    expect(server.clientErrorRate).toBeCloseTo(0.1);
    expect(server.breach).toBeNull();
    expect(windowErrorRate(counts, 0.05, 'all').breach).toBe('error rate 13.0% above 5.0%');
    expect(windowErrorRate({ ...counts, serverErrors: 6 }, 0.05).breach).toBe('server error rate 6.0% above 5.0%');
  });

  it('does not judge a window with too few requests or without a bound', () => {
    expect(windowErrorRate({ total: 5, clientErrors: 0, serverErrors: 5 }, 0.05).breach).toBeNull();
    expect(windowErrorRate({ total: 0, clientErrors: 0, serverErrors: 0 }, null)).toMatchObject({
      errorRate: 0,
      breach: null,
    });
  });
});
