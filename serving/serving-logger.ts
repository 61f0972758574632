/**
 * The logging surface serving code needs: pino-style `(fields, message)` calls. A Fastify/pino logger satisfies it.
 */
export interface ServingLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A message for any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
