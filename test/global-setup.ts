/**
 * Vitest globalSetup: one Temporal dev server and one SeaweedFS S3 server for the whole run, handed to tests
 * through `provide` (keys typed in test/provided-context.d.ts), stopped at teardown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServerHandle } from '../infra/dev-server.js';
import { assertPostgresReachable, redactUrl, testDatabaseUrl } from '../infra/postgres-test.js';
import { startSeaweedS3, type S3ServerHandle } from '../infra/seaweedfs.js';

/** Starts the shared servers; returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'mlops-test-'));
  const [temporal, s3] = await Promise.allSettled([
    startDevServer({ dbFilename: path.join(tmp, 'temporal.db') }),
    startSeaweedS3({ dataDir: path.join(tmp, 'seaweedfs') }),
  ]);
  const started: Array<DevServerHandle | S3ServerHandle> = [];
  for (const r of [temporal, s3]) if (r.status === 'fulfilled') started.push(r.value);
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
    await rm(tmp, { recursive: true, force: true });
  };
  if (temporal.status === 'rejected' || s3.status === 'rejected') {
    await teardown();
    const failed = [temporal, s3].filter((r) => r.status === 'rejected');
    throw new AggregateError(
      failed.map((r) => r.reason as unknown),
      `global setup failed: ${failed.map((r) => String(r.reason)).join('\n')}`,
    );
  }
  project.provide('temporalAddress', temporal.value.address);
  project.provide('temporalUiUrl', temporal.value.uiUrl);
  project.provide('s3Endpoint', s3.value.endpoint);
  project.provide('s3AccessKeyId', s3.value.accessKeyId);
  project.provide('s3SecretAccessKey', s3.value.secretAccessKey);
  project.provide('s3Region', s3.value.region);
  const databaseUrl = testDatabaseUrl();
  project.provide('databaseUrl', databaseUrl);
  // PostgreSQL is not started here; tests that need it fail with a clear message. Warn early, once.
  await assertPostgresReachable(databaseUrl).then(
    (version) => process.stderr.write(`[infra] PostgreSQL ${version} at ${redactUrl(databaseUrl)}\n`),
    (err: unknown) => process.stderr.write(`[infra] WARNING: ${err instanceof Error ? err.message : String(err)}\n`),
  );
  return teardown;
}
