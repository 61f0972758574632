/** Request counts of one model version in a window, by outcome. JSON-shaped. */
export interface RequestCounts {
  /** Every predict request the version answered or failed. */
  total: number;
  /** 4xx: bad requests (invalid records, malformed JSON...). */
  clientErrors: number;
  /** 5xx: server errors (scoring failed, the deployed version could not be loaded...). */
  serverErrors: number;
}

/** Which errors count toward `monitoring.maxErrorRate`: server errors only (the default), or client errors too. */
export type ErrorRateCounts = 'server' | 'all';

/** The error rates of a window and whether they breach `maxErrorRate`. JSON-shaped. */
export interface WindowErrorRate extends RequestCounts {
  /** serverErrors / total (0 without requests). */
  errorRate: number;
  /** clientErrors / total (0 without requests). */
  clientErrorRate: number;
  maxErrorRate: number | null;
  /** The rate compared with `maxErrorRate`. */
  judged: ErrorRateCounts;
  /** Why the window breached, or null (no bound, too few requests, or within it). */
  breach: string | null;
}

/** Fewest requests in a window before its error rate is judged (a single failure among 3 requests is noise). */
export const MIN_REQUESTS_FOR_ERROR_RATE = 20;

/**
 * Error rates of a window from its request counts: server errors and bad requests separately; a breach when the
 * judged rate (server errors, or all errors with `counts: 'all'`) exceeds `maxErrorRate` over at least
 * {@link MIN_REQUESTS_FOR_ERROR_RATE} requests.
 */
export function windowErrorRate(
  counts: RequestCounts,
  maxErrorRate: number | null,
  counted: ErrorRateCounts = 'server',
): WindowErrorRate {
  const rate = (n: number): number => (counts.total > 0 ? n / counts.total : 0);
  const errorRate = rate(counts.serverErrors);
  const clientErrorRate = rate(counts.clientErrors);
  const judgedRate = counted === 'all' ? rate(counts.serverErrors + counts.clientErrors) : errorRate;
  const breach =
    maxErrorRate !== null && counts.total >= MIN_REQUESTS_FOR_ERROR_RATE && judgedRate > maxErrorRate
      ? `${counted === 'all' ? 'error' : 'server error'} rate ${(judgedRate * 100).toFixed(1)}% above ${(maxErrorRate * 100).toFixed(1)}%`
      : null;
  return { ...counts, errorRate, clientErrorRate, maxErrorRate, judged: counted, breach };
}
