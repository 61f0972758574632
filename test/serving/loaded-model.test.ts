/** The atomic swap contract: a retired version closes only after its last in-flight request releases it. */
import { describe, expect, it } from 'vitest';
import type { OnnxModel } from '../../lib/eval/onnx-model.js';
import type { DeployedModel } from '../../lib/registry/types.js';
import { buildRecordSchema } from '../../serving/feature-schema.js';
import { LoadedModel } from '../../serving/loaded-model.js';
import { SPEC } from './helpers.js';

function fakeSession(): { session: OnnxModel; closes: () => number } {
  let closes = 0;
  const session = {
    features: SPEC.features,
    close: async () => void (closes += 1),
  } as unknown as OnnxModel;
  return { session, closes: () => closes };
}

const deployed: DeployedModel = {
  model: 'churn',
  version: 1,
  artifactUri: 'file:///x',
  artifactSha256: '0'.repeat(64),
  features: SPEC.features,
  label: SPEC.label,
  profileUri: '',
  deployedAt: new Date().toISOString(),
};

describe('LoadedModel', () => {
  it('closes a retired version only after the last in-flight request releases it', async () => {
    const { session, closes } = fakeSession();
    const loaded = new LoadedModel(
      deployed,
      SPEC.features,
      buildRecordSchema(SPEC.features),
      session,
      new Date().toISOString(),
    );
    loaded.acquire();
    loaded.acquire();
    loaded.retire();
    expect(loaded.closed).toBeNull();
    loaded.release();
    expect(loaded.closed).toBeNull();
    expect(loaded.inFlight).toBe(1);
    loaded.release();
    await loaded.closed;
    expect(closes()).toBe(1);
    expect(() => loaded.acquire()).toThrow(/closed/);
  });

  it('closes at once when retired with nothing in flight, and only once', async () => {
    const { session, closes } = fakeSession();
    const loaded = new LoadedModel(
      deployed,
      SPEC.features,
      buildRecordSchema(SPEC.features),
      session,
      new Date().toISOString(),
    );
    loaded.retire();
    loaded.retire();
    await loaded.closed;
    expect(closes()).toBe(1);
  });
});
