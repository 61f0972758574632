import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CUSTOM_SEARCH_ATTRIBUTES, MODEL_KEY, VERSION_KEY } from '../../contracts/search-attributes.js';
import { ensureSearchAttributes, startDevServer } from '../../infra/dev-server.js';
import { testServerExecutable } from '../../infra/temporal-cli.js';

const TYPE_NAMES: Record<number, string> = { 1: 'Text', 2: 'Keyword', 3: 'Int', 4: 'Double', 5: 'Bool', 6: 'Datetime' };

async function customAttributes(connection: Connection, namespace = 'default'): Promise<Record<string, string>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.fromEntries(
    Object.entries(res.customAttributes ?? {}).map(([k, v]) => [k, TYPE_NAMES[Number(v)] ?? '?']),
  );
}

describe('shared Temporal dev server (global setup)', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('answers getSystemInfo and knows namespace default', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(ns.namespaceInfo?.name).toBe('default');
    expect(inject('temporalUiUrl')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('has every custom search attribute with its contract type', async () => {
    const attrs = await customAttributes(connection);
    for (const { name, type } of CUSTOM_SEARCH_ATTRIBUTES) expect(attrs[name], name).toBe(type);
  });

  it('ensureSearchAttributes is idempotent and rejects a type clash', async () => {
    expect(await ensureSearchAttributes(connection, 'default')).toEqual([]);
    const clash = [{ name: CUSTOM_SEARCH_ATTRIBUTES[0]?.name ?? 'MlopsModel', type: 'Int' }];
    await expect(ensureSearchAttributes(connection, 'default', clash)).rejects.toThrow(/exists with type/);
  });
});

describe('own dev server on a persistent db file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-devserver-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restarts on the same db file, keeping state and search attributes', async () => {
    const dbFilename = path.join(dir, 'temporal.db');
    const first = await startDevServer({ dbFilename });
    const conn1 = await Connection.connect({ address: first.address });
    try {
      // State that must survive a restart: an extra search attribute and a namespace registered at run time.
      expect(await ensureSearchAttributes(conn1, 'default', [{ name: 'MlopsRestartProbe', type: 'Keyword' }])).toEqual([
        'MlopsRestartProbe',
      ]);
      // No worker polls this queue: the workflow just stays open, with its search attributes, across the restart.
      await new Client({ connection: conn1 }).workflow.start('restartProbe', {
        taskQueue: 'no-worker-restart-probe',
        workflowId: 'restart-probe',
        typedSearchAttributes: [
          { key: MODEL_KEY, value: 'probe-model' },
          { key: VERSION_KEY, value: 7 },
        ],
      });
    } finally {
      await conn1.close();
      await first.stop();
    }
    expect(() => process.kill(first.pid, 0)).toThrow();

    const second = await startDevServer({ dbFilename });
    const conn2 = await Connection.connect({ address: second.address });
    try {
      const attrs = await customAttributes(conn2);
      for (const { name, type } of CUSTOM_SEARCH_ATTRIBUTES) expect(attrs[name], name).toBe(type);
      expect(attrs.MlopsRestartProbe).toBe('Keyword');
      const handle = new Client({ connection: conn2 }).workflow.getHandle('restart-probe');
      const desc = await handle.describe();
      expect(desc.status.name).toBe('RUNNING');
      expect(desc.typedSearchAttributes.get(MODEL_KEY)).toBe('probe-model');
      expect(desc.typedSearchAttributes.get(VERSION_KEY)).toBe(7);
      await handle.terminate('test done');
    } finally {
      await conn2.close();
      await second.stop();
    }
  });

  it('fails clearly, with the server output, when the port is taken', async () => {
    const [host, port] = inject('temporalAddress').split(':');
    const err: unknown = await startDevServer({
      dbFilename: path.join(dir, 'other.db'),
      ip: host ?? '127.0.0.1',
      port: Number(port),
      startTimeoutMs: 15_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/already in use/);
  });
});

describe('time-skipping test server from the pinned wheel', () => {
  it('starts TestWorkflowEnvironment.createTimeSkipping with testServerExecutable()', async () => {
    const executable = await testServerExecutable();
    expect(executable.type).toBe('existing-path');
    const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
    try {
      const before = await env.currentTimeMs();
      await env.sleep('1 day');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(86_400_000);
    } finally {
      await env.teardown();
    }
  });
});
