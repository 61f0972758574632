/** An error the CLI reports as one message (no stack trace) with its exit code: 2 for wrong usage, 1 otherwise. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
