/**
 * Runs `temporal server start-dev` as a child process (for tests and local development), and registers the
 * project's custom search attributes on any server. Also home of the small child-process helpers that
 * infra/seaweedfs.ts shares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect as netConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../contracts/search-attributes.js';
import { resolveTemporalCli } from './temporal-cli.js';

/** Asks the OS for a currently free TCP port on `host`. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when a TCP connection to `host:port` succeeds within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A child process whose output tail is kept for error messages. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last lines the process wrote to stdout and stderr. */
  tail(): string;
  /** Set once the process has exited. */
  exitCode(): number | string | null;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s). Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `command` (optionally in `opts.cwd` with `opts.env`), keeping its output tail; killed when Node exits. */
export function startProcess(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-6000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: number | string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = code ?? signal ?? 'unknown';
      resolve();
    });
    child.once('error', (err) => {
      keep(Buffer.from(`\nspawn error: ${err.message}\n`));
      exit = exit ?? 'spawn-error';
      resolve();
    });
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    child,
    pid: child.pid ?? -1,
    tail: () => tail.trim(),
    exitCode: () => exit,
    async stop(graceMs = 10_000) {
      process.removeListener('exit', killOnExit);
      if (exit !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** SQLite file for persistent state; reused on restart. */
  dbFilename: string;
  /** Frontend gRPC port; by default a free one whose +1000 (the UI port) is free too. */
  port?: number;
  /** Web UI port; default `port + 1000`. */
  uiPort?: number;
  /** Bind address (default 127.0.0.1). */
  ip?: string;
  /** Namespace to wait for (default `default`, always created). */
  namespace?: string;
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
  /** CLI path; by default resolved with {@link resolveTemporalCli}. */
  cliPath?: string;
  /** Server log level (default warn). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** A running dev server. */
export interface DevServerHandle {
  /** `host:port` of the frontend gRPC service. */
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

async function pickPorts(ip: string): Promise<{ port: number; uiPort: number }> {
  for (let i = 0; i < 50; i++) {
    const port = await findFreePort(ip);
    if (port + 1000 <= 65535 && (await canBind(ip, port + 1000))) return { port, uiPort: port + 1000 };
  }
  throw new Error('could not find a free port pair for the Temporal dev server');
}

/** Waits until a Temporal frontend at `address` answers getSystemInfo and knows `namespace`. */
export async function waitForTemporal(
  address: string,
  namespace: string,
  timeoutMs: number,
  alive: () => string | null = () => null,
): Promise<void> {
  const [host = '127.0.0.1', portText = '7233'] = address.split(':');
  const deadline = Date.now() + timeoutMs;
  let lastError = 'port not open yet';
  while (Date.now() < deadline) {
    const dead = alive();
    if (dead) throw new Error(dead);
    if (await canConnect(host, Number(portText))) {
      let connection: Connection | undefined;
      try {
        connection = await Connection.connect({ address, connectTimeout: '3s' });
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      } finally {
        await connection?.close().catch(() => undefined);
      }
    }
    await sleep(250);
  }
  throw new Error(`Temporal at ${address} did not become ready within ${timeoutMs} ms (last error: ${lastError})`);
}

/**
 * Starts `temporal server start-dev` with the project's custom search attributes and waits until it serves
 * `namespace`. Restarting on an existing `dbFilename` keeps all state; search attributes added to the contract
 * since the file was created are registered through {@link ensureSearchAttributes} (start-dev ignores
 * `--search-attribute` for an existing database).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const ports =
    opts.port !== undefined ? { port: opts.port, uiPort: opts.uiPort ?? opts.port + 1000 } : await pickPorts(ip);
  const uiPort = opts.uiPort ?? ports.uiPort;
  let cli = opts.cliPath;
  if (!cli) {
    const resolved = await resolveTemporalCli();
    if (!resolved) throw new Error('Temporal CLI not found: set TEMPORAL_CLI_PATH or run `npm run provision`');
    cli = resolved.path;
  }
  const args = ['server', 'start-dev', '--db-filename', opts.dbFilename, '--ip', ip, '--port', String(ports.port)];
  args.push('--ui-port', String(uiPort), '--namespace', namespace, '--log-level', opts.logLevel ?? 'warn');
  for (const { name, type } of CUSTOM_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=${type}`);
  const address = `${ip}:${ports.port}`;
  // A server already listening there would answer the readiness probe in place of ours.
  for (const p of [ports.port, uiPort]) {
    if (await canConnect(ip, p, 500)) throw new Error(`cannot start Temporal dev server: ${ip}:${p} is already in use`);
  }
  const started = Date.now();
  const proc = startProcess(cli, args);
  const alive = (): string | null => {
    const code = proc.exitCode();
    return code === null ? null : `temporal server start-dev exited (${code}) before it was ready:\n${proc.tail()}`;
  };
  try {
    await waitForTemporal(address, namespace, opts.startTimeoutMs ?? 60_000, alive);
    const dead = alive();
    if (dead) throw new Error(dead);
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await proc.stop(2000);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- temporal server output (tail) ---\n${proc.tail()}`, { cause: err });
  }
  process.stderr.write(`[infra] Temporal dev server ready at ${address} in ${Date.now() - started} ms\n`);
  return {
    address,
    uiUrl: `http://${ip}:${uiPort}`,
    namespace,
    pid: proc.pid,
    stop: () => proc.stop(),
  };
}

/** `IndexedValueType` numbers of temporal.api.enums.v1 for the types the contract uses. */
const INDEXED_VALUE_TYPE: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6 };

/**
 * Registers every attribute of `attributes` (default: the project's CUSTOM_SEARCH_ATTRIBUTES) that `namespace`
 * lacks, via operatorService.addSearchAttributes. Idempotent; throws when a name exists with another type.
 * Returns the names it added.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  attributes: ReadonlyArray<{ name: string; type: string }> = CUSTOM_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known: Record<string, number> = {};
  for (const map of [existing.customAttributes, existing.systemAttributes]) {
    for (const [name, type] of Object.entries(map ?? {})) known[name] = Number(type);
  }
  const missing: Record<string, number> = {};
  for (const { name, type } of attributes) {
    const wanted = INDEXED_VALUE_TYPE[type];
    if (wanted === undefined) throw new Error(`unsupported search attribute type ${type} for ${name}`);
    const have = known[name];
    if (have === undefined) missing[name] = wanted;
    else if (have !== wanted) throw new Error(`search attribute ${name} exists with type ${have}, expected ${type}`);
  }
  const names = Object.keys(missing);
  if (names.length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    process.stderr.write(`[infra] registered search attributes in ${namespace}: ${names.join(', ')}\n`);
  }
  return names;
}
