import { ApplicationFailure } from '@temporalio/activity';
import { ArtifactChecksumError, ArtifactNotFoundError, ArtifactUriError } from '../lib/artifacts/errors.js';
import { SpecValidationError } from '../lib/spec/errors.js';

/** Domain errors that retrying cannot fix, by class name. */
const PERMANENT = new Set([
  ArtifactNotFoundError.name,
  ArtifactChecksumError.name,
  ArtifactUriError.name,
  SpecValidationError.name,
  'DatasetError',
  'ModelFormatError',
  'RegistryNotFoundError',
  'RegistryConflictError',
  'TrainingError',
  'TrainingDataError',
  'TrainingDivergedError',
  'TrainerCommandError',
  // A hung or overrunning trainer program (already killed with its process group): a retry would hang again.
  'TrainerTimeoutError',
  'TrainerModelError',
  'FeatureMismatchError',
  'PredictionInputError',
]);

/**
 * Converts a domain error into a Temporal failure: permanent errors become non-retryable `ApplicationFailure`s
 * typed by the error's class name (so the UI and callers see `DatasetError: ...`); anything else is rethrown and
 * retried by the activity's retry policy.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof Error && PERMANENT.has(err.name)) {
    return ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true, cause: err });
  }
  return err;
}

/** Runs `fn`, translating permanent domain errors into non-retryable failures. */
export async function permanentErrorsAreFinal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
