import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load-spec.js';
import { enabledAlertEvents } from '../spec/alerts-spec.js';
import { alertSchema } from './alert.js';
import {
  MONITOR_COOLDOWN_WINDOWS,
  monitorBreachAlert,
  monitorWillSignal,
  pipelineFailedAlert,
  rollbackAlert,
  type BreachReport,
  type MonitorCounters,
} from './events.js';

const report: BreachReport = {
  model: 'churn',
  version: 2,
  windowStart: '2026-11-23T10:00:00.000Z',
  windowEnd: '2026-11-23T10:05:00.000Z',
  status: 'drift',
  predictions: 500,
  labelled: 0,
  drift: {
    share: 0.5,
    datasetDrift: true,
    features: [
      { name: 'plan', score: 0.61, drifted: true, method: 'psi', threshold: 0.2 },
      { name: 'tenure', score: 0.01, drifted: false },
    ],
  },
  performance: null,
  summary: 'drift: 1/2 features',
  reportUri: 'file:///a/report.json',
};

/** The monitor workflow's counter updates (workflows/model-monitor.ts), to drive `monitorWillSignal` window by window. */
function simulate(statuses: string[], consecutive: number): number[] {
  const c: MonitorCounters = { windowsRun: 0, consecutiveBreaches: 0 };
  const signalled: number[] = [];
  for (const status of statuses) {
    const will = monitorWillSignal(c, { status, version: 1 }, consecutive);
    c.windowsRun++;
    const breached = status === 'drift' || status === 'degraded';
    c.consecutiveBreaches = breached ? c.consecutiveBreaches + 1 : 0;
    if (will) {
      signalled.push(c.windowsRun);
      c.signalledVersion = 1;
      c.signalledAtWindow = c.windowsRun;
      c.consecutiveBreaches = 0;
    }
  }
  return signalled;
}

describe('monitorWillSignal', () => {
  it('follows the monitor: N consecutive breaches, then a cooldown per version', () => {
    const statuses = Array.from({ length: 26 }, (_, i) => (i + 1 === 3 || i + 1 >= 5 ? 'drift' : 'ok'));
    expect(simulate(statuses, 2)).toEqual([6, 16, 26]);
    expect(MONITOR_COOLDOWN_WINDOWS).toBe(10);
    expect(simulate(['degraded', 'ok', 'insufficient_data'], 1)).toEqual([1]);
    expect(simulate(['ok', 'insufficient_data', 'no_model'], 1)).toEqual([]);
  });

  it('signals again at once for another version', () => {
    const before: MonitorCounters = {
      windowsRun: 3,
      consecutiveBreaches: 0,
      signalledVersion: 1,
      signalledAtWindow: 3,
    };
    expect(monitorWillSignal(before, { status: 'drift', version: 1 }, 1)).toBe(false);
    expect(monitorWillSignal(before, { status: 'drift', version: 2 }, 1)).toBe(true);
  });
});

describe('alert builders', () => {
  it('builds a valid drift alert with a per-window ID', () => {
    const a = monitorBreachAlert(report, 'monitor-churn');
    expect(alertSchema.parse(a)).toEqual(a);
    expect(a).toMatchObject({
      id: 'monitor-churn:drift:v2:2026-11-23T10:05:00.000Z',
      type: 'drift',
      severity: 'warning',
      version: 2,
      occurredAt: report.windowEnd,
      summary: 'churn v2: drift: 1/2 features',
    });
    expect(a.details['driftedFeatures']).toEqual([report.drift!.features[0]]);
  });

  it('builds a performance alert for a degraded window', () => {
    const a = monitorBreachAlert(
      { ...report, status: 'degraded', drift: null, performance: { metric: 'roc_auc', value: 0.61, floor: 0.7 } },
      'monitor-churn',
    );
    expect(alertSchema.parse(a)).toMatchObject({
      id: 'monitor-churn:performance:v2:2026-11-23T10:05:00.000Z',
      type: 'performance',
      severity: 'critical',
      details: { performance: { metric: 'roc_auc', value: 0.61, floor: 0.7 } },
    });
  });

  it('builds pipeline_failed and rollback alerts', () => {
    const failed = pipelineFailedAlert({
      pipelineId: 'pipeline-churn-20261123T100000Z',
      model: 'churn',
      outcome: 'failed',
      error: 'x'.repeat(5000),
      trigger: { kind: 'drift', reason: 'drift: 1/2 features' },
      completedStages: ['validating'],
      occurredAt: '2026-11-23T10:06:00.000Z',
    });
    expect(alertSchema.parse(failed)).toMatchObject({
      id: 'pipeline-churn-20261123T100000Z:pipeline_failed',
      severity: 'critical',
      version: null,
    });
    expect(failed.summary.length).toBeLessThanOrEqual(2000);
    const invalid = pipelineFailedAlert({
      pipelineId: 'p',
      model: 'churn',
      outcome: 'invalid_data',
      error: 'dataset failed validation',
      trigger: { kind: 'manual', reason: 'r' },
      completedStages: [],
      occurredAt: '2026-11-23T10:06:00.000Z',
    });
    expect(invalid).toMatchObject({
      severity: 'warning',
      summary: 'churn: pipeline p stopped on invalid data: dataset failed validation',
    });
    const rb = rollbackAlert({
      model: 'churn',
      version: 3,
      restoredVersion: 2,
      runId: 'pipeline-churn-1',
      reason: 'serving did not load it',
      occurredAt: '2026-11-23T10:07:00.000Z',
    });
    expect(alertSchema.parse(rb)).toMatchObject({ id: 'pipeline-churn-1:rollback:v3', type: 'rollback', version: 3 });
  });
});

describe('spec alerts section', () => {
  const base = readFileSync('examples/churn/pipeline.yaml', 'utf8');

  it('defaults to every event and can opt out or choose', () => {
    expect(parseSpec(base).alerts).toEqual({ events: ['drift', 'performance', 'pipeline_failed', 'rollback'] });
    expect(parseSpec(`${base}\nalerts: { events: [] }\n`).alerts).toEqual({ events: [] });
    expect(parseSpec(`${base}\nalerts: { events: [rollback, drift] }\n`).alerts.events).toEqual(['rollback', 'drift']);
  });

  it('rejects unknown events, duplicates and webhook settings', () => {
    expect(() => parseSpec(`${base}\nalerts: { events: [latency] }\n`)).toThrow(/alerts\.events/);
    expect(() => parseSpec(`${base}\nalerts: { events: [drift, drift] }\n`)).toThrow(/at most once/);
    expect(() => parseSpec(`${base}\nalerts: { url: "https://hooks.example" }\n`)).toThrow(/url/);
  });

  it('reads stored specs that predate the section as every event', () => {
    expect([...enabledAlertEvents(undefined)]).toEqual(['drift', 'performance', 'pipeline_failed', 'rollback']);
    expect([...enabledAlertEvents({ events: ['rollback'] })]).toEqual(['rollback']);
    expect([...enabledAlertEvents({ events: 'garbage' })]).toHaveLength(4);
  });
});
