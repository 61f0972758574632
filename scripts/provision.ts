/**
 * Installs the project's native tools into `.tools/` (unless found via env or PATH) and prints their paths:
 * the Temporal CLI, the Temporal time-skipping test server and SeaweedFS `weed`.
 *
 * Usage: `npx tsx scripts/provision.ts` (or `npm run provision`). Exits 1 if a tool could not be provided.
 */
import { resolveTemporalCli, resolveTestServer, type ResolvedTool } from '../infra/temporal-cli.js';
import { resolveWeed } from '../infra/seaweedfs.js';

const tools: Array<[string, () => Promise<ResolvedTool | null>]> = [
  ['temporal', () => resolveTemporalCli({ log: false })],
  ['temporal-test-server', () => resolveTestServer({ log: false })],
  ['weed', () => resolveWeed({ log: false })],
];

let failed = false;
for (const [name, resolve] of tools) {
  const tool = await resolve();
  if (tool) {
    console.log(`${name.padEnd(22)} ${tool.path} (${tool.source})`);
  } else {
    failed = true;
    console.log(`${name.padEnd(22)} NOT AVAILABLE`);
  }
}
if (failed) {
  console.error('Some tools could not be installed: check python3 -m pip and access to PyPI (see messages above).');
  process.exitCode = 1;
}
