import { resolveStackSettings, type StackSettings } from '../stack-settings.js';
import { connectClient } from '../temporal-client.js';

/** Runs `fn` with a Temporal client for the stack the CLI finds (environment, `.mlops/stack.json`, defaults). */
export async function withClient<T>(
  fn: (ctx: Awaited<ReturnType<typeof connectClient>> & { settings: StackSettings }) => Promise<T>,
): Promise<T> {
  const settings = await resolveStackSettings();
  const conn = await connectClient(settings);
  try {
    return await fn({ ...conn, settings });
  } finally {
    await conn.close();
  }
}
