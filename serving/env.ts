import { hostname } from 'node:os';
import { z } from 'zod';
import { describeValue } from './request-issues.js';

/** Variables whose values must never appear in messages (credentials). */
const SECRET = new Set(['DATABASE_URL', 'MLOPS_ADMIN_TOKEN']);

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return fallback;
      const value = Number(raw.trim());
      if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected an integer from ${min} to ${max}, found ${describeValue(raw)}`,
        });
        return z.NEVER;
      }
      return value;
    });

const envSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'required: the registry PostgreSQL URL, e.g. postgres://user:pass@host:5432/db' })
    .refine((v) => /^postgres(ql)?:\/\/.+/.test(v), 'expected a postgres:// or postgresql:// URL'),
  MLOPS_ARTIFACTS_URL: z
    .string()
    .default('file://.mlops/artifacts/')
    .refine((v) => /^(file|s3):\/\/.+/.test(v), {
      error: (iss) => `expected a file:// or s3:// URL, found ${describeValue(iss.input)}`,
    }),
  PORT: integer(0, 65535, 8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  MLOPS_REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'expected 1-200 letters, digits, ".", "_", ":" or "-"')
    .default(`${hostname()}-${process.pid}`),
  MLOPS_ADMIN_TOKEN: z
    .string()
    .min(16, 'too short: use at least 16 characters (or leave unset to disable /admin)')
    .optional(),
  MLOPS_POLL_INTERVAL_MS: integer(50, 3_600_000, 1000),
  /** URL reported to the registry; defaults to the address the server listens on. */
  MLOPS_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: (iss) => `expected an http(s) URL, found ${describeValue(iss.input)}` })
    .optional(),
  MLOPS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The validated environment of the serving process. */
export type ServingEnv = z.output<typeof envSchema>;

/** Result of {@link parseServingEnv}: the env, or one readable line per problem. */
export type ServingEnvResult = { ok: true; env: ServingEnv } | { ok: false; problems: string[] };

/**
 * Validates the serving process environment. Empty variables count as unset. Problems name the variable and never
 * echo the value of a credential (`DATABASE_URL`, `MLOPS_ADMIN_TOKEN`).
 */
export function parseServingEnv(source: NodeJS.ProcessEnv): ServingEnvResult {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = envSchema.safeParse(input);
  if (result.success) return { ok: true, env: result.data };
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const message = SECRET.has(name) ? issue.message.replace(/, found .*$/, '') : issue.message;
    return `${name}: ${message}`;
  });
  return { ok: false, problems };
}
