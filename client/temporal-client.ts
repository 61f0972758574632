import { Client, Connection } from '@temporalio/client';
import type { StackSettings } from './stack-settings.js';
import { UsageError } from './errors.js';

/** Connects to Temporal with a clear error when nothing is listening. */
export async function connectClient(settings: StackSettings): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: settings.temporalAddress, connectTimeout: '5s' });
  } catch (err) {
    throw new UsageError(
      `cannot reach Temporal at ${settings.temporalAddress} (from ${settings.source}): ${(err as Error).message}\n` +
        `Start the embedded stack with \`npm run dev\` or set TEMPORAL_ADDRESS.`,
      1,
    );
  }
  return { client: new Client({ connection, namespace: settings.namespace }), close: () => connection.close() };
}
