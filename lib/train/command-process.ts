import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** Bytes of stderr kept for error messages. */
export const STDERR_TAIL_BYTES = 4096;
/** Longer stdout/stderr lines are dropped (a program printing megabytes without a newline cannot exhaust memory). */
const MAX_LINE_CHARS = 1 << 20;
/** How long to wait for the output pipes to close after the program exited (a detached grandchild may hold them). */
const CLOSE_WAIT_MS = 2000;

/** What {@link runProgram} needs. */
export interface RunProgramOptions {
  argv: readonly string[];
  cwd: string;
  /** The program's whole environment (nothing is inherited). */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** The program is stopped when it prints no JSON object line for this long. */
  hangTimeoutMs: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  signal?: AbortSignal | undefined;
  /** Called, in order and awaited one at a time, for every stdout line that is a JSON object. Throwing stops the program. */
  onJson: (value: Record<string, unknown>) => void | Promise<void>;
  /** Receives the other stdout lines and every stderr line. */
  onOutput?: ((stream: 'stdout' | 'stderr', line: string) => void) | undefined;
}

/** How a program run ended. */
export interface ProgramOutcome {
  /** Exit status, or null when it was killed by a signal or never started. */
  exitCode: number | null;
  /** The signal that ended it, or null. */
  exitSignal: string | null;
  /** Why this side stopped it, or null when it ended on its own. */
  stoppedBy: 'abort' | 'timeout' | 'hang' | 'callback' | null;
  /** The spawn error (e.g. ENOENT) when the program could not be started. */
  spawnError: Error | null;
  /** What `onJson` threw, when it did. */
  callbackError: unknown;
  /** The last {@link STDERR_TAIL_BYTES} bytes of stderr, decoded and trimmed. */
  stderrTail: string;
  /** Process id (also the process group id) of the program, when it started. */
  pid: number | undefined;
}

/** Process groups of running programs, killed if this process exits first (a normal exit, not a crash). */
const running = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
  });
}

/** Splits a stream's text into lines, dropping over-long ones. */
class LineSplitter {
  private buffer = '';
  private skipping = false;
  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.buffer + text).split('\n');
    this.buffer = parts.pop() ?? '';
    for (const part of parts) {
      if (!this.skipping) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
      this.skipping = false;
    }
    if (this.buffer.length > MAX_LINE_CHARS) {
      this.buffer = '';
      this.skipping = true;
    }
  }

  end(): void {
    if (this.buffer !== '' && !this.skipping) this.onLine(this.buffer);
    this.buffer = '';
  }
}

function parseJsonObject(line: string): Record<string, unknown> | null {
  const text = line.trim();
  if (!text.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Runs `argv` (no shell) in its own process group with stdin closed, feeding stdout JSON lines to `onJson`.
 * The whole group gets SIGTERM, then SIGKILL after `killGraceMs`, when `signal` aborts, on `timeoutMs`, when no
 * JSON line arrives for `hangTimeoutMs`, or when `onJson` throws; members left behind when the program exits are
 * killed at once. Resolves (never rejects) once the program has exited and its output has been read.
 */
export function runProgram(options: RunProgramOptions): Promise<ProgramOutcome> {
  const [command, ...args] = options.argv;
  let stoppedBy: ProgramOutcome['stoppedBy'] = null;
  let callbackError: unknown;
  let stderr = Buffer.alloc(0);
  let chain: Promise<void> = Promise.resolve();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): NodeJS.Timeout => {
    const t = setTimeout(fn, ms);
    timers.add(t);
    return t;
  };

  return new Promise((resolve) => {
    const child = spawn(command ?? '', args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) {
      running.add(pid);
      installExitHook();
    }
    let exit: { code: number | null; signal: string | null } | null = null;
    let spawnError: Error | null = null;
    let finished = false;

    const stop = (reason: NonNullable<ProgramOutcome['stoppedBy']>): void => {
      if (stoppedBy !== null || exit !== null) return;
      stoppedBy = reason;
      killGroup(pid, 'SIGTERM');
      later(options.killGraceMs, () => killGroup(pid, 'SIGKILL'));
    };
    const onAbort = (): void => stop('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted while the input was being written: the listener above would never fire.
    if (options.signal?.aborted === true) stop('abort');
    later(options.timeoutMs, () => stop('timeout'));
    let hangTimer = later(options.hangTimeoutMs, () => stop('hang'));

    const stdoutLines = new LineSplitter((line) => {
      const value = parseJsonObject(line);
      if (value === null) {
        options.onOutput?.('stdout', line);
        return;
      }
      clearTimeout(hangTimer);
      timers.delete(hangTimer);
      if (exit === null && stoppedBy === null) hangTimer = later(options.hangTimeoutMs, () => stop('hang'));
      chain = chain.then(async () => {
        if (callbackError !== undefined) return;
        try {
          await options.onJson(value);
        } catch (error) {
          callbackError = error ?? new Error('onJson failed');
          stop('callback');
        }
      });
    });
    const stderrLines = new LineSplitter((line) => options.onOutput?.('stderr', line));
    const stderrText = new StringDecoder('utf8');

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => stdoutLines.push(text));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
      if (options.onOutput !== undefined) stderrLines.push(stderrText.write(chunk));
    });

    const finish = (): void => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) running.delete(pid);
      child.stdout.destroy();
      child.stderr.destroy();
      stdoutLines.end();
      stderrLines.end();
      void chain.then(() =>
        resolve({
          exitCode: exit?.code ?? null,
          exitSignal: exit?.signal ?? null,
          stoppedBy,
          spawnError,
          callbackError,
          stderrTail: stderr
            .toString('utf8')
            .replace(/^\uFFFD+/, '')
            .trim(),
          pid,
        }),
      );
    };

    child.on('error', (error) => {
      // Emitted when the program cannot be started (ENOENT, EACCES); this code sends no signal through `child`.
      if (pid !== undefined) return;
      spawnError = error;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      killGroup(pid, 'SIGKILL'); // leftovers of the group (background helpers) would hold the pipes open
      for (const t of timers) clearTimeout(t);
      timers.clear();
      later(CLOSE_WAIT_MS, finish);
    });
    child.on('close', finish);
  });
}
