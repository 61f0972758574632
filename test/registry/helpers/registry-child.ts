/**
 * Child process for multi-process registry tests: `node --import tsx registry-child.ts <url> <model> <prefix> <count>`.
 * Registers `count` versions at once through its own pool and prints the results as one JSON line.
 */
import { createPgRegistry } from '../../../lib/registry/pg-registry.js';
import { newVersion } from './fixtures.js';

const [url, model, prefix, count] = process.argv.slice(2);
if (!url || !model || !prefix || !count) throw new Error('usage: registry-child <url> <model> <prefix> <count>');
const registry = createPgRegistry({ connectionString: url, maxConnections: 4 });
try {
  await registry.migrate();
  const results = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) => registry.registerVersion(newVersion(model, `${prefix}-${i}`))),
  );
  const deployed = await registry.recordDeployment({ model, version: results[0]!.version, runId: `${prefix}-deploy` });
  process.stdout.write(`${JSON.stringify({ results, deployed })}\n`);
} finally {
  await registry.close();
}
