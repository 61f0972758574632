import { describe, expect, it } from 'vitest';
import { monitoringSchema } from './monitoring-spec.js';

describe('monitoring spec: performance tolerance and error rate', () => {
  it('leaves the new rules absent by default (recorded specs parse the same)', () => {
    const m = monitoringSchema.parse({});
    expect(m).not.toHaveProperty('performanceTolerance');
    expect(m).not.toHaveProperty('maxErrorRate');
    expect(m).not.toHaveProperty('errorRateCounts');
  });

  it('accepts a tolerance, a maximum error rate and what it counts', () => {
    const m = monitoringSchema.parse({ performanceTolerance: 0.05, maxErrorRate: 0.02, errorRateCounts: 'all' });
    expect(m).toMatchObject({ performanceTolerance: 0.05, maxErrorRate: 0.02, errorRateCounts: 'all' });
  });

  it('rejects a negative tolerance, an error rate above 1 and an unknown count', () => {
    expect(monitoringSchema.safeParse({ performanceTolerance: -0.1 }).success).toBe(false);
    expect(monitoringSchema.safeParse({ maxErrorRate: 1.5 }).success).toBe(false);
    expect(monitoringSchema.safeParse({ errorRateCounts: 'client' }).success).toBe(false);
  });
});
