import { z } from 'zod';
import { durationSchema } from './duration.js';

/** Environment variable names: letters, digits and `_`, not starting with a digit. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as "MY_VAR"');

/** Variables the command trainer sets itself; a config may not override them. */
export const RESERVED_TRAINER_ENV = ['MLOPS_TRAINER_INPUT'] as const;

const notReserved = (name: string): boolean => !(RESERVED_TRAINER_ENV as readonly string[]).includes(name);
const reservedMessage = `${RESERVED_TRAINER_ENV.join(', ')} is set by the trainer and cannot be overridden`;

/**
 * Configuration of the `command` trainer: an external program (a Python script, a binary) that trains the model.
 * See `lib/train/command-trainer.ts` for the protocol the program follows.
 *
 * The configuration travels in Temporal workflow history, where anyone who can read the history sees it:
 * never put secrets (tokens, passwords, connection strings with credentials) into `env` or `argv`. List the
 * NAMES of the worker's environment variables the program needs in `passEnv` instead; their values are read
 * from the worker's environment when the program starts and never enter history.
 */
export const commandTrainerSchema = z.strictObject({
  /** Program and arguments, e.g. `["python3", "examples/trainers/sklearn_logistic.py"]`. Run without a shell. */
  argv: z.array(z.string().min(1)).min(1, 'expected the program and its arguments, e.g. ["python3", "train.py"]'),
  /** Working directory of the program (relative paths resolve against the worker's working directory). */
  cwd: z.string().min(1).optional(),
  /**
   * Extra environment variables, values included. Visible in workflow history: NO SECRETS here (use `passEnv`).
   * The program otherwise gets a minimal environment (PATH, HOME, locale, TMPDIR) plus `passEnv`.
   */
  env: z
    .record(envName, z.string())
    .refine((env) => Object.keys(env).every(notReserved), { error: reservedMessage })
    .default({}),
  /** Names of worker environment variables passed through to the program (e.g. credentials); values stay out of history. */
  passEnv: z.array(envName.refine(notReserved, { error: reservedMessage })).default([]),
  /** Longest the program may run in total, e.g. `30m`. */
  timeout: durationSchema.default('1h'),
  /** Longest the program may go without printing a JSON line (progress or other) before it is considered hung. */
  hangTimeout: durationSchema.default('5m'),
  /** Time between SIGTERM and SIGKILL when the program is stopped (abort, timeout, hang). */
  killGrace: durationSchema.default('10s'),
});

/** A command trainer configuration as written (defaults not yet applied). */
export type CommandTrainerSpecInput = z.input<typeof commandTrainerSchema>;

/** A validated command trainer configuration (defaults applied). */
export type CommandTrainerSpec = z.output<typeof commandTrainerSchema>;
