import { z } from 'zod';
import { parseWebhookUrls } from '../lib/alerts/webhook.js';

/** Worker/serving settings from the environment (production mode); the dev stack builds the same shape itself. */
export const runtimeConfigSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5433/postgres'),
  MLOPS_ARTIFACTS_URL: z
    .string()
    .regex(/^(file|s3):\/\//, 'expected a file:// or s3:// URL')
    .default('file://.mlops/artifacts/'),
  /** Connections per process; 1 against the embedded PGlite server, more against real PostgreSQL. */
  MLOPS_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(4),
  MLOPS_CODE_VERSION: z.string().optional(),
  /** Webhook(s) for alerts, comma-separated http(s) URLs; unset: no alerts. */
  MLOPS_ALERT_WEBHOOK_URL: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      try {
        parseWebhookUrls(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** HMAC-SHA256 key signing each alert (`X-Mlops-Signature`); unset: unsigned. */
  MLOPS_ALERT_WEBHOOK_SECRET: z.string().optional(),
  /** Temporal Web UI, for the `runUrl` link of alerts. */
  TEMPORAL_UI_URL: z.url().optional(),
});

export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;

/** Reads and validates the environment; throws one message naming every bad variable. */
export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const result = runtimeConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid environment:\n${lines.join('\n')}`);
}
