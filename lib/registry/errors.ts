/**
 * Errors of the model registry. Their `name`s are stable: Temporal reports an activity failure's type as the error's
 * name, so retry policies can list `RegistryNotFoundError` and `RegistryConflictError` as non-retryable.
 */
import { NETWORK_ERROR_CODES } from '../network-errors.js';

/** Base class of registry errors; `retryable` says whether trying again later can succeed. */
export abstract class RegistryError extends Error {
  abstract readonly retryable: boolean;
}

/**
 * The database cannot be reached or dropped the connection (ECONNREFUSED, reset, timeout, server shutting down,
 * too many connections, serialization failure after retries). Transient: retry with backoff.
 */
export class RegistryUnavailableError extends RegistryError {
  override readonly name = 'RegistryUnavailableError';
  readonly retryable = true;
  /** SQLSTATE or Node error code of the underlying error, when known. */
  readonly code: string | undefined;
  constructor(message: string, options: { cause: unknown; code?: string | undefined }) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/** An unknown model, version or alias was referenced. Permanent. */
export class RegistryNotFoundError extends RegistryError {
  override readonly name = 'RegistryNotFoundError';
  readonly retryable = false;
  constructor(
    readonly entity: 'model' | 'version' | 'alias' | 'pipeline_run',
    readonly key: string,
  ) {
    super(`registry: ${entity.replace('_', ' ')} ${key} not found`);
  }
}

/** The request contradicts what is recorded (e.g. a run ID already used for another model). Permanent. */
export class RegistryConflictError extends RegistryError {
  override readonly name = 'RegistryConflictError';
  readonly retryable = false;
}

const CONNECTION_ERROR_CODES = new Set([
  ...NETWORK_ERROR_CODES,
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '53300', // too_many_connections
  '40001', // serialization_failure (after our retries)
  '40P01', // deadlock_detected (after our retries)
]);

const CONNECTION_ERROR_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Connection closed/i,
  /server closed the connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether an error means "the database is (temporarily) unreachable" rather than "the request is wrong". */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof RegistryError) return err.retryable;
  const code = codeOf(err);
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isConnectionError(e))) return true;
  return CONNECTION_ERROR_MESSAGES.some((re) => re.test(err.message));
}

/** Registry errors pass through; connection errors become {@link RegistryUnavailableError}; others are unchanged. */
export function toRegistryError(err: unknown, operation: string): unknown {
  if (err instanceof RegistryError) return err;
  if (isConnectionError(err)) {
    const e = err as Error;
    const code = codeOf(e) ?? (e instanceof AggregateError ? e.errors.map(codeOf).find(Boolean) : undefined);
    return new RegistryUnavailableError(`registry unavailable during ${operation}: ${e.message || code || e.name}`, {
      cause: err,
      code,
    });
  }
  return err;
}
