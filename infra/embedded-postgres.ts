/**
 * The embedded default database: PGlite (PostgreSQL compiled to WASM, single-user) served over the PostgreSQL wire
 * protocol on a TCP port, so the same `pg` code talks to it and to a real PostgreSQL server.
 *
 * Why not `PGLiteSocketServer` from `@electric-sql/pglite-socket` (0.2.x) as is: it accepts several connections
 * (`maxConnections`, default 1; extra connections get "Too many connections" and are closed) and multiplexes them onto
 * PGlite's single session, but it queues *individual protocol messages*. `pg` sends every parameterized query as
 * Parse/Bind/Describe/Execute/Sync, and another connection's Parse can run between them, so concurrent parameterized
 * queries from two connections fail ("portal does not exist") or return the other connection's rows. This server
 * multiplexes at the right grain instead:
 *
 * - a connection's messages are executed in batches that end at a message the backend answers with ReadyForQuery
 *   (Sync, simple Query) or that the client waits on (Flush, FunctionCall, COPY messages);
 * - only one connection runs at a time (a FIFO gate), and a connection keeps the gate until the backend reports
 *   ReadyForQuery with status idle — so a transaction (BEGIN ... COMMIT) or an unfinished extended-protocol exchange
 *   runs to its end before another connection's statements run. Transactions are therefore serializable (they do not
 *   overlap at all); a connection that stays idle inside a transaction blocks the others, as a lock would;
 * - a client that disconnects mid-transaction is rolled back and the gate passes on.
 *
 * Limits of the single shared session (document for callers): session state is shared by all connections —
 * `SET`, named prepared statements, temporary tables, LISTEN and session-level advisory locks (`pg_advisory_lock`)
 * are visible to / owned by every connection, so advisory locks do not exclude other connections. COPY, LISTEN/NOTIFY,
 * cancel requests and SSL are not supported. PGlite runs with fsync off (`-F`), so a machine crash may lose the last
 * writes. One process owns a data directory: a lock file next to it records the owner's pid and URL.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

export const DEFAULT_EMBEDDED_PG_PORT = 5433;
export const DEFAULT_EMBEDDED_PG_DATA_DIR = '.mlops/pgdata';

export interface EmbeddedPostgresOptions {
  /** Data directory (default `.mlops/pgdata`, resolved against the cwd), or `memory://` for a throw-away database. */
  dataDir?: string;
  /** Host to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 5433); 0 picks a free port (read it back from `port`/`url`). */
  port?: number;
  /** Most client connections open at once, over all processes (default 64); more are refused with an error. */
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  readonly url: string;
  readonly port: number;
  /** Absolute data directory, or `memory://`. */
  readonly dataDir: string;
  /** Connections open now and statement batches waiting for the database. */
  stats(): { connections: number; waiting: number };
  /** Closes all connections, stops listening and closes the database (idempotent). */
  stop(): Promise<void>;
}

/** Another live process already serves this data directory; connect to `url` instead of starting a second server. */
export class EmbeddedPostgresInUseError extends Error {
  override readonly name = 'EmbeddedPostgresInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly url: string,
  ) {
    super(`embedded PostgreSQL data directory ${dataDir} is in use by process ${pid}, serving ${url}`);
  }
}

interface LockInfo {
  pid: number;
  url: string;
}

function lockPath(dataDir: string): string {
  return `${dataDir}.lock`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The URL of the embedded server that a live process runs on `dataDir`, or null when none does. */
export async function findRunningEmbeddedPostgres(
  dataDir: string = DEFAULT_EMBEDDED_PG_DATA_DIR,
): Promise<string | null> {
  const info = await readLock(resolve(dataDir));
  return info && info.url && isAlive(info.pid) ? info.url : null;
}

async function readLock(dataDir: string): Promise<LockInfo | null> {
  try {
    const parsed = JSON.parse(await readFile(lockPath(dataDir), 'utf8')) as Partial<LockInfo>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, url: String(parsed.url ?? '') } : null;
  } catch {
    return null;
  }
}

/** Creates the lock file exclusively; a stale one (dead pid) is replaced. */
async function acquireLock(dataDir: string): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(lockPath(dataDir), 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, url: '' }));
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await readLock(dataDir);
      if (info && isAlive(info.pid)) throw new EmbeddedPostgresInUseError(dataDir, info.pid, info.url);
      await rm(lockPath(dataDir), { force: true });
    }
  }
  throw new Error(`could not lock embedded PostgreSQL data directory ${dataDir}`);
}

// --- wire protocol ---------------------------------------------------------------------------------------------

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** Frontend messages after which the client waits for the backend, so a batch ends there. */
const BATCH_END = new Set(['S', 'Q', 'H', 'F', 'd', 'c', 'f'].map((c) => c.charCodeAt(0)));
const TERMINATE = 'X'.charCodeAt(0);
const READY_FOR_QUERY = 'Z'.charCodeAt(0);
const IDLE = 'I'.charCodeAt(0);

/** Tracks backend message boundaries in a byte stream to learn the status of the last ReadyForQuery. */
class BackendTracker {
  private header = Buffer.alloc(5);
  private headerLen = 0;
  private remaining = 0;
  private type = 0;
  /** Status byte of the last complete message if it was ReadyForQuery, else 0. */
  lastReadyStatus = 0;

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        if (this.type === READY_FOR_QUERY && take > 0) this.lastReadyStatus = chunk[i + take - 1] ?? 0;
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header[this.headerLen++] = chunk[i++] ?? 0;
      if (this.headerLen === 5) {
        this.type = this.header[0] ?? 0;
        this.remaining = this.header.readInt32BE(1) - 4;
        this.headerLen = 0;
        this.lastReadyStatus = 0;
      }
    }
  }

  /** The startup response is not framed like the rest for the first byte check; reset between batches. */
  reset(): void {
    this.headerLen = 0;
    this.remaining = 0;
    this.lastReadyStatus = 0;
  }
}

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private chain: Promise<void> = Promise.resolve();
  closed = false;
  /** Set once by the server when the client goes away. */
  disconnecting: Promise<void> | undefined;

  constructor(
    readonly socket: Socket,
    private readonly server: Multiplexer,
  ) {}

  onData(data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    const batches: Buffer[] = [];
    let pending: Buffer[] = [];
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) break;
        const len = this.buffer.readInt32BE(0);
        if (this.buffer.length < len) break;
        const code = this.buffer.readInt32BE(4);
        const msg = this.buffer.subarray(0, len);
        this.buffer = this.buffer.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N');
        } else if (code === CANCEL_REQUEST) {
          this.socket.end();
          return;
        } else if (code === PROTOCOL_3) {
          this.started = true;
          batches.push(Buffer.from(msg));
        } else {
          this.socket.destroy();
          return;
        }
        continue;
      }
      if (this.buffer.length < 5) break;
      const len = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < len) break;
      const type = this.buffer[0] ?? 0;
      const msg = this.buffer.subarray(0, len);
      this.buffer = this.buffer.subarray(len);
      if (type === TERMINATE) {
        if (pending.length) batches.push(Buffer.concat(pending));
        pending = [];
        this.enqueue(batches);
        this.chain = this.chain.then(() => void this.socket.end());
        return;
      }
      pending.push(Buffer.from(msg));
      if (BATCH_END.has(type)) {
        batches.push(Buffer.concat(pending));
        pending = [];
      }
    }
    // Incomplete batches wait for the rest; keep their bytes at the front of the buffer.
    if (pending.length) this.buffer = Buffer.concat([...pending, this.buffer]);
    this.enqueue(batches);
  }

  private enqueue(batches: Buffer[]): void {
    for (const batch of batches) {
      this.chain = this.chain
        .then(() => this.server.execute(this, batch))
        .catch((err: unknown) => {
          this.server.log(`connection error: ${String(err)}`);
          this.socket.destroy();
        });
    }
  }

  /** Resolves once everything queued so far has run. */
  drained(): Promise<void> {
    return this.chain.catch(() => undefined);
  }
}

class Multiplexer {
  private owner: Connection | null = null;
  private waiters: { conn: Connection; resume: () => void }[] = [];
  readonly connections = new Set<Connection>();
  private tracker = new BackendTracker();

  constructor(
    readonly db: PGlite,
    private readonly debug: boolean,
  ) {}

  log(message: string): void {
    if (this.debug) console.error(`[embedded-postgres] ${message}`);
  }

  waiting(): number {
    return this.waiters.length;
  }

  private async acquire(conn: Connection): Promise<void> {
    if (this.owner === conn) return;
    if (this.owner === null) {
      this.owner = conn;
      return;
    }
    await new Promise<void>((resume) => this.waiters.push({ conn, resume }));
  }

  private release(conn: Connection): void {
    if (this.owner !== conn) return;
    const next = this.waiters.shift();
    this.owner = next?.conn ?? null;
    next?.resume();
  }

  async execute(conn: Connection, batch: Uint8Array): Promise<void> {
    await this.acquire(conn);
    let idle = false;
    try {
      if (conn.closed) {
        idle = true;
        return;
      }
      this.tracker.reset();
      const isStartup = batch[0] === 0;
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(batch, {
          onRawData: (data: Uint8Array) => {
            if (!isStartup) this.tracker.feed(data);
            if (!conn.closed && conn.socket.writable) conn.socket.write(Buffer.from(data));
          },
        }),
      );
      // The startup response ends with ReadyForQuery too, but keep it simple: startup never leaves work open.
      idle = isStartup || this.tracker.lastReadyStatus === IDLE;
    } finally {
      if (idle) this.release(conn);
    }
  }

  /** A closed client: drop its waiting work; if it held the database, end what it left open and pass the gate on. */
  disconnect(conn: Connection): Promise<void> {
    return (conn.disconnecting ??= this.cleanup(conn));
  }

  private async cleanup(conn: Connection): Promise<void> {
    conn.closed = true;
    this.connections.delete(conn);
    await conn.drained();
    if (this.owner !== conn) return;
    try {
      await this.db.runExclusive(async () => {
        // Sync ends an unfinished extended-protocol exchange; then roll back an open transaction.
        await this.db.execProtocolRaw(new Uint8Array([0x53, 0, 0, 0, 4]));
        if (this.db.isInTransaction()) await this.db.execProtocolRaw(simpleQuery('ROLLBACK'));
      });
    } catch (err) {
      this.log(`cleanup after disconnect failed: ${String(err)}`);
    } finally {
      this.release(conn);
    }
  }
}

function simpleQuery(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg[0] = 'Q'.charCodeAt(0);
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return msg;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolveListen(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Starts PGlite on `dataDir` and serves it on `host:port`. Throws {@link EmbeddedPostgresInUseError} when another live
 * process serves the same data directory (connect to its `url` instead), and the listen error (e.g. EADDRINUSE) when
 * the port is taken.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  const memory = options.dataDir?.startsWith('memory://') ?? false;
  const dataDir = memory ? 'memory://' : resolve(options.dataDir ?? DEFAULT_EMBEDDED_PG_DATA_DIR);
  const maxConnections = options.maxConnections ?? 64;
  const debug = process.env['MLOPS_EMBEDDED_PG_DEBUG'] === '1';

  if (!memory) await acquireLock(dataDir);
  // Listen before opening the database (PGlite start-up, initdb of a new directory, takes seconds): a taken port
  // fails at once. Connections that arrive meanwhile stay paused until the database is ready.
  let resolveMux!: (mux: Multiplexer) => void;
  let rejectMux!: (err: unknown) => void;
  const muxReady = new Promise<Multiplexer>((res, rej) => {
    resolveMux = res;
    rejectMux = rej;
  });
  muxReady.catch(() => undefined);
  // Every socket, refused ones included: stop() must not wait for a client that keeps a refused socket open.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    muxReady.then(
      (mux) => accept(mux, socket, maxConnections),
      () => socket.destroy(),
    );
  });
  let db: PGlite | undefined;
  try {
    const port = await listen(server, options.port ?? DEFAULT_EMBEDDED_PG_PORT, host);
    const url = `postgres://postgres@${host}:${port}/postgres`;
    if (!memory) await mkdir(dataDir, { recursive: true });
    db = await PGlite.create(memory ? undefined : dataDir);
    const mux = new Multiplexer(db, debug);
    resolveMux(mux);
    if (!memory) await writeLockUrl(dataDir, url);

    const openDb = db;
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      dataDir,
      stats: () => ({ connections: mux.connections.size, waiting: mux.waiting() }),
      stop: () =>
        (stopping ??= (async () => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          for (const socket of sockets) socket.destroy();
          await Promise.all([...mux.connections].map((conn) => mux.disconnect(conn)));
          await closed;
          await openDb.close();
          if (!memory) await rm(lockPath(dataDir), { force: true });
        })()),
    };
  } catch (err) {
    rejectMux(err);
    for (const socket of sockets) socket.destroy();
    server.close();
    await db?.close().catch(() => undefined);
    if (!memory) await rm(lockPath(dataDir), { force: true });
    throw err;
  }
}

function accept(mux: Multiplexer, socket: Socket, maxConnections: number): void {
  if (socket.destroyed) return;
  if (mux.connections.size >= maxConnections) {
    socket.end(errorResponse('53300', `too many connections to the embedded server (max ${maxConnections})`));
    return;
  }
  socket.setNoDelay(true);
  const conn = new Connection(socket, mux);
  mux.connections.add(conn);
  socket.on('data', (data: Buffer) => conn.onData(data));
  socket.on('error', (err) => mux.log(`socket error: ${err.message}`));
  socket.on('close', () => void mux.disconnect(conn));
}

async function writeLockUrl(dataDir: string, url: string): Promise<void> {
  const fh = await open(lockPath(dataDir), 'w');
  await fh.writeFile(JSON.stringify({ pid: process.pid, url }));
  await fh.close();
}

/** An ErrorResponse (FATAL) for clients we refuse before startup. */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const msg = Buffer.alloc(5 + fields.length);
  msg[0] = 'E'.charCodeAt(0);
  msg.writeInt32BE(4 + fields.length, 1);
  fields.copy(msg, 5);
  return msg;
}

// `npx tsx infra/embedded-postgres.ts [dataDir] [port]` runs a server in the foreground.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startEmbeddedPostgres({
    ...(process.argv[2] ? { dataDir: process.argv[2] } : {}),
    ...(process.argv[3] ? { port: Number(process.argv[3]) } : {}),
  });
  console.log(server.url);
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
