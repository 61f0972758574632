/**
 * A private, throwaway PostgreSQL server for tests that must stop and start the database (outages), so that the
 * shared test server is never disturbed: `initdb` into a temp dir, `pg_ctl start` on a free port, trust auth on
 * 127.0.0.1 only. Needs the PostgreSQL server binaries (Debian: /usr/lib/postgresql/<version>/bin; or PG_BIN).
 * PostgreSQL refuses to run as root: when this process is root, the server runs as the `postgres` OS user
 * (`runuser -u postgres --`) and the data dir is owned by it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (`pg_ctl stop -m fast`: open connections are terminated). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it (immediately) and deletes its data. Safe to call twice. */
  destroy(): Promise<void>;
}

/** The newest PostgreSQL server bin directory: PG_BIN, else /usr/lib/postgresql/<highest>/bin, else PATH. */
export function postgresBinDir(): string | null {
  const fromEnv = process.env['PG_BIN'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(root, versions[0], 'bin');
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Initializes and starts a private server; throws a clear error when the binaries are missing. */
export async function startPrivatePostgres(opts: { prefix?: string } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const tool = (name: string): string => (bin ? path.join(bin, name) : name);
  if (bin && !existsSync(tool('initdb'))) throw new Error(`no initdb in ${bin}`);
  const asRoot = userInfo().uid === 0;
  const run = async (cmd: string, args: string[], timeoutMs = 60_000): Promise<string> => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    try {
      const { stdout, stderr } = await exec(file, argv, { timeout: timeoutMs });
      return stdout + stderr;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
        cause: err,
      });
    }
  };

  const dataDir = await mkdtemp(path.join(tmpdir(), opts.prefix ?? 'mlops-private-pg-'));
  if (asRoot) {
    const { stdout } = await exec('id', ['-u', 'postgres']);
    const { stdout: gid } = await exec('id', ['-g', 'postgres']);
    await chown(dataDir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  const logFile = path.join(dataDir, 'server.log');
  await run(tool('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const serverOptions = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const logTail = async (): Promise<string> =>
    (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
  const start = async (): Promise<void> => {
    try {
      await run(tool('pg_ctl'), ['-D', dataDir, '-o', serverOptions, '-l', logFile, '-w', '-t', '60', 'start']);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nserver log:\n${await logTail()}`, { cause: err });
    }
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    await run(tool('pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  };
  try {
    await start();
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    start,
    stop: () => stop('fast'),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stop('immediate').catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
