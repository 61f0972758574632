/** Node's error codes for a peer that cannot be reached or that dropped the connection (shared by registry and S3). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

const IN_MESSAGE = new RegExp(`\\b(${[...NETWORK_ERROR_CODES].join('|')})\\b|socket hang up`);

/** Whether `err` has one of {@link NETWORK_ERROR_CODES} as `code`, or names one in its message (wrapped errors). */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) || IN_MESSAGE.test(err.message);
}
