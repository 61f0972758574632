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
  ) {
    super(
      `training diverged in epoch ${epoch + 1}: the loss or a weight is no longer finite; ` +
        `lower trainer.hyperparameters.learningRate (now ${learningRate})`,
    );
  }
}
