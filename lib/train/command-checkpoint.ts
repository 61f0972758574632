import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TrainerCommandError } from './errors.js';
import { trainingFingerprint, type TrainInput } from './trainer.js';

/** Format marker of a packed command-trainer checkpoint (never confused with a built-in `TrainerCheckpoint`). */
export const COMMAND_CHECKPOINT_FORMAT = 'mlops.command-checkpoint/v1';
/** First bytes of a packed checkpoint: not JSON, so the built-in checkpoint loader can never take one for its own. */
const MAGIC = new TextEncoder().encode('MLOPS-COMMAND-CHECKPOINT\n');

/** The header of a packed command checkpoint. */
export interface CommandCheckpointHeader {
  format: typeof COMMAND_CHECKPOINT_FORMAT;
  /** Epochs completed; the program resumes with the next one. */
  epoch: number;
  epochs: number;
  /** {@link commandFingerprint} of the run that wrote it; a checkpoint is restored only into a matching run. */
  fingerprint: string;
  /** The announced path, relative to `checkpointDir` (a file, or a directory). */
  path: string;
  kind: 'file' | 'directory';
  /** Training loss of every epoch up to `epoch` (as reported by the program). */
  lossHistory: number[];
  /** Regular files, relative to the announced path (`""` for a file checkpoint), with their sizes, in pack order. */
  files: { path: string; size: number }[];
}

/** A checkpoint announced by the program, packed for the artifact store. */
export interface CommandCheckpoint {
  epoch: number;
  epochs: number;
  /** Header and file contents in one blob (see {@link packCommandCheckpoint}). */
  bytes: Uint8Array;
}

/** Fingerprint of a command run: the training fingerprint (data, spec, hyperparameters, seed) and the argv. */
export function commandFingerprint(input: TrainInput, argv: readonly string[]): string {
  return createHash('sha256').update(trainingFingerprint('command', input)).update(JSON.stringify(argv)).digest('hex');
}

/** A TrainerCommandError (permanent: a bug of the program) for a broken checkpoint announcement. */
export const checkpointViolation = (message: string): TrainerCommandError =>
  new TrainerCommandError(`checkpoint protocol: ${message}`, null, null, '');
const violation = checkpointViolation;

/**
 * Resolves an announced checkpoint path: relative, inside `checkpointDir`, existing, a regular file or a directory.
 * @throws TrainerCommandError (permanent: a program bug) otherwise.
 */
export async function resolveAnnounced(checkpointDir: string, announced: unknown): Promise<string> {
  if (typeof announced !== 'string' || announced === '') throw violation('"path" must be a non-empty string');
  const full = path.resolve(checkpointDir, announced);
  const relative = path.relative(checkpointDir, full);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw violation(`${JSON.stringify(announced)} is not inside checkpointDir ${checkpointDir}`);
  }
  const stat = await lstat(full).catch(() => null);
  if (stat === null) throw violation(`announced checkpoint ${JSON.stringify(announced)} does not exist`);
  if (!stat.isFile() && !stat.isDirectory()) {
    throw violation(`announced checkpoint ${JSON.stringify(announced)} is neither a regular file nor a directory`);
  }
  return relative;
}

/** Regular files under `dir` (relative paths, sorted); symbolic links and other special files are refused. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
    else throw violation(`checkpoint entry ${rel} is neither a regular file nor a directory`);
  }
  return out;
}

/**
 * Packs the announced checkpoint `relative` (under `checkpointDir`): magic line, 4-byte big-endian header length,
 * the JSON {@link CommandCheckpointHeader}, then the files' bytes in header order.
 */
export async function packCommandCheckpoint(
  checkpointDir: string,
  relative: string,
  meta: Pick<CommandCheckpointHeader, 'epoch' | 'epochs' | 'fingerprint' | 'lossHistory'>,
): Promise<CommandCheckpoint> {
  const root = path.join(checkpointDir, relative);
  const kind = (await lstat(root)).isDirectory() ? 'directory' : 'file';
  const names = kind === 'file' ? [''] : await listFiles(root);
  const contents = await Promise.all(names.map((n) => readFile(n === '' ? root : path.join(root, n))));
  const header: CommandCheckpointHeader = {
    format: COMMAND_CHECKPOINT_FORMAT,
    ...meta,
    path: relative.split(path.sep).join('/'),
    kind,
    files: names.map((n, i) => ({ path: n, size: contents[i]!.length })),
  };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  const bytes = Buffer.concat([MAGIC, length, json, ...contents]);
  return { epoch: meta.epoch, epochs: meta.epochs, bytes };
}

/**
 * Reads the header of a packed checkpoint.
 * @throws Error when `bytes` is not a complete packed command checkpoint.
 */
export function readCommandCheckpointHeader(bytes: Uint8Array): { header: CommandCheckpointHeader; body: number } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < MAGIC.length + 4 || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not a command trainer checkpoint');
  }
  const length = buffer.readUInt32BE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(
    buffer.subarray(start, start + length).toString('utf8'),
  ) as Partial<CommandCheckpointHeader>;
  if (header.format !== COMMAND_CHECKPOINT_FORMAT) {
    throw new Error(`unknown checkpoint format ${JSON.stringify(header.format)}`);
  }
  const fileOk = (f: unknown): boolean => {
    const { path: where, size } = (f ?? {}) as Record<string, unknown>;
    return typeof where === 'string' && typeof size === 'number' && Number.isInteger(size) && size >= 0;
  };
  const valid =
    typeof header.epoch === 'number' &&
    typeof header.epochs === 'number' &&
    typeof header.fingerprint === 'string' &&
    typeof header.path === 'string' &&
    (header.kind === 'file' || header.kind === 'directory') &&
    Array.isArray(header.lossHistory) &&
    Array.isArray(header.files) &&
    header.files.every(fileOk);
  if (!valid) throw new Error('malformed command trainer checkpoint header');
  const total = header.files!.reduce((sum, f) => sum + f.size, 0);
  if (buffer.length !== start + length + total) throw new Error('truncated command trainer checkpoint');
  return { header: header as CommandCheckpointHeader, body: start + length };
}

/** Safe relative path inside the restored checkpoint (no absolute paths, no `..`). */
function safeJoin(root: string, relative: string): string {
  const full = path.resolve(root, relative);
  const rel = path.relative(root, full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`checkpoint path ${relative} escapes its folder`);
  return full;
}

/**
 * Restores a packed checkpoint into the empty folder `dir`, under its announced name; returns the restored file or
 * directory and the header.
 * @throws Error when the checkpoint is malformed.
 */
export async function unpackCommandCheckpoint(
  bytes: Uint8Array,
  dir: string,
): Promise<{ header: CommandCheckpointHeader; restored: string }> {
  const { header, body } = readCommandCheckpointHeader(bytes);
  const restored = safeJoin(dir, header.path);
  if (restored === path.resolve(dir)) throw new Error('checkpoint path is empty');
  if (header.kind === 'directory') await mkdir(restored, { recursive: true });
  let offset = body;
  for (const file of header.files) {
    const target = file.path === '' ? restored : safeJoin(restored, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes.subarray(offset, offset + file.size));
    offset += file.size;
  }
  return { header, restored };
}

/** Deletes announced checkpoints other than the newest from the program's folder (the store keeps the newest two). */
export async function pruneAnnounced(checkpointDir: string, announced: string[]): Promise<void> {
  while (announced.length > 1) {
    const old = announced.shift()!;
    if (announced.includes(old)) continue;
    await rm(path.join(checkpointDir, old), { recursive: true, force: true });
  }
}

/**
 * Restores `packed` into `dir` when it belongs to this run (`fingerprint`); otherwise says why it was not used.
 */
export async function restoreCheckpoint(
  packed: Uint8Array | null | undefined,
  fingerprint: string,
  dir: string,
): Promise<{ resume: { header: CommandCheckpointHeader; restored: string } | null; ignored: string | null }> {
  if (packed === null || packed === undefined) return { resume: null, ignored: null };
  try {
    const { header } = readCommandCheckpointHeader(packed);
    if (header.fingerprint !== fingerprint) {
      return { resume: null, ignored: 'the checkpoint belongs to other data, spec, argv or hyperparameters' };
    }
    await mkdir(dir, { recursive: true });
    return { resume: await unpackCommandCheckpoint(packed, dir), ignored: null };
  } catch (error) {
    return { resume: null, ignored: `the checkpoint is unreadable: ${(error as Error).message}` };
  }
}
