/** The training data cannot be used as given (missing column, single class, no rows). Permanent: retrying will not help. */
export class TrainingDataError extends Error {
  override readonly name = 'TrainingDataError';
}

/**
 * Training was stopped through its AbortSignal. `name` is `AbortError` so Temporal's activity worker reports a
 * cancelled activity (it treats any error named `AbortError` like a `CancelledFailure`).
 */
export class TrainingAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(
    /** Epochs fully completed when training stopped (the aborted epoch's partial updates are discarded). */
    readonly completedEpochs: number,
    /** The signal's `reason`, when it had one. */
    override readonly cause?: unknown,
  ) {
    super(`training aborted after ${completedEpochs} completed epoch(s)`);
  }
}

/** The optimisation produced a non-finite loss or weight (learning rate too high for the data). Permanent. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
  constructor(
    readonly epoch: number,
    readonly learningRate: number,
    /** Replaces the default advice (lower the learning rate), e.g. for closed-form trainers. */
    advice?: string,
  ) {
    super(
      `training diverged in epoch ${epoch + 1}: the loss or a weight is no longer finite; ` +
        (advice ?? `lower trainer.hyperparameters.learningRate (now ${learningRate})`),
    );
  }
}

/** `trainer.algorithm` names no built-in trainer. Named `TrainingError` (permanent for the activity). */
export class UnknownTrainerError extends Error {
  override readonly name = 'TrainingError';
  constructor(
    readonly algorithm: string,
    readonly known: readonly string[],
  ) {
    super(`unknown trainer algorithm "${algorithm}"; known: ${known.map((a) => `"${a}"`).join(', ')}`);
  }
}

/**
 * An external trainer program (the `command` trainer) failed: it could not be started, exited with a non-zero
 * status or was killed by a signal. `stderrTail` holds the last ~4 KB of its stderr. Permanent.
 */
export class TrainerCommandError extends Error {
  override readonly name = 'TrainerCommandError';
  constructor(
    message: string,
    /** The program's exit status, or null when it did not exit normally (never started, or killed). */
    readonly exitCode: number | null,
    /** The signal that ended it, e.g. `SIGKILL`, or null. */
    readonly signal: string | null,
    readonly stderrTail: string,
    options?: ErrorOptions,
  ) {
    super(stderrTail === '' ? message : `${message}\n--- last stderr ---\n${stderrTail}`, options);
  }
}

/**
 * An external trainer program ran past its `timeout` (`kind` "timeout") or printed no JSON line for its
 * `hangTimeout` (`kind` "hang"), and was killed. Permanent: the program would most likely hang or overrun again, and
 * a retry could not be told apart from a run that never ends; the message says which setting to raise.
 */
export class TrainerTimeoutError extends Error {
  override readonly name = 'TrainerTimeoutError';
  constructor(
    readonly kind: 'timeout' | 'hang',
    /** The limit that was exceeded, in milliseconds. */
    readonly limitMs: number,
    /** Epochs the program had reported complete. */
    readonly completedEpochs: number,
    readonly stderrTail: string,
    /** The program (argv[0], JSON-quoted) and the limit as configured (e.g. `5m`), for the message. */
    context: { program?: string; limit?: string } = {},
  ) {
    const program = context.program === undefined ? 'the trainer command' : `the trainer command ${context.program}`;
    const setting = (name: string): string => (context.limit === undefined ? name : `${name} ${context.limit}`);
    super(
      (kind === 'timeout'
        ? `${program} ran longer than its timeout (${limitMs} ms, ${setting('timeout')}) and was killed`
        : `${program} printed no progress for ${limitMs} ms (${setting('hangTimeout')}) and was killed as hung`) +
        ` after ${completedEpochs} reported epoch(s); ` +
        (kind === 'timeout'
          ? 'raise trainer.command.timeout if the training needs longer'
          : 'a program must print a JSON line (progress, or e.g. {"status": "loading"}) at least that often, even ' +
            'while it imports or loads data; raise trainer.command.hangTimeout if a silent phase takes longer') +
        (stderrTail === '' ? '' : `\n--- last stderr ---\n${stderrTail}`),
    );
  }
}

/**
 * The model file an external trainer wrote is missing, not a loadable ONNX model, or lacks the outputs of its
 * task's contract. `file` names it. Permanent. (Graph inputs that do not match the features are reported as
 * `FeatureMismatchError` from lib/eval/errors.ts.)
 */
export class TrainerModelError extends Error {
  override readonly name = 'TrainerModelError';
  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
