import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** Where the CLI finds the running stack: written by `mlops dev`, overridden by the environment. */
export const STACK_STATE_FILE = path.resolve('.mlops', 'stack.json');

const stackStateSchema = z.object({
  temporalAddress: z.string(),
  namespace: z.string(),
  uiUrl: z.string(),
  databaseUrl: z.string(),
  artifactsUrl: z.string(),
  servingUrl: z.string(),
  pid: z.number(),
});
export type StackState = z.output<typeof stackStateSchema>;

/** Connection settings for CLI commands. */
export interface StackSettings {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  databaseUrl: string;
  artifactsUrl: string;
  servingUrl: string;
  /** Where the settings came from, for error messages. */
  source: string;
}

async function readStackState(): Promise<StackState | null> {
  try {
    return stackStateSchema.parse(JSON.parse(await readFile(STACK_STATE_FILE, 'utf8')));
  } catch {
    return null;
  }
}

/** Environment first (production), then the dev stack's state file, then local defaults. */
export async function resolveStackSettings(env: NodeJS.ProcessEnv = process.env): Promise<StackSettings> {
  const state = await readStackState();
  return {
    temporalAddress: env['TEMPORAL_ADDRESS'] ?? state?.temporalAddress ?? '127.0.0.1:7233',
    namespace: env['TEMPORAL_NAMESPACE'] ?? state?.namespace ?? 'default',
    uiUrl: env['TEMPORAL_UI_URL'] ?? state?.uiUrl ?? 'http://localhost:8233',
    databaseUrl: env['DATABASE_URL'] ?? state?.databaseUrl ?? 'postgres://postgres@127.0.0.1:5433/postgres',
    artifactsUrl: env['MLOPS_ARTIFACTS_URL'] ?? state?.artifactsUrl ?? 'file://.mlops/artifacts/',
    servingUrl: env['MLOPS_SERVING_URL'] ?? state?.servingUrl ?? 'http://127.0.0.1:8080',
    source: env['TEMPORAL_ADDRESS'] ? 'environment' : state ? STACK_STATE_FILE : 'defaults',
  };
}

/** Web UI link to a workflow. */
export function workflowLink(settings: Pick<StackSettings, 'uiUrl' | 'namespace'>, workflowId: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** Web UI link to a schedule. */
export function scheduleLink(settings: Pick<StackSettings, 'uiUrl' | 'namespace'>, id: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/schedules/${encodeURIComponent(id)}`;
}
