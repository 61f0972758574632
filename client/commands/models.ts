import { createPgRegistry } from '../../lib/registry/pg-registry.js';
import type { ModelRegistry } from '../../lib/registry/model-registry.js';
import { UsageError } from '../errors.js';
import { resolveStackSettings } from '../stack-settings.js';

const print = (line: string): void => console.log(line);

async function withRegistry<T>(fn: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const settings = await resolveStackSettings();
  const registry = createPgRegistry({ connectionString: settings.databaseUrl, maxConnections: 1 });
  try {
    return await fn(registry);
  } catch (err) {
    if (err instanceof Error && err.name === 'RegistryUnavailableError') {
      throw new UsageError(`${err.message}\nIs the stack running (\`npm run dev\`) or DATABASE_URL set?`, 1);
    }
    throw err;
  } finally {
    await registry.close();
  }
}

function fmtMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .filter(([k]) => !['count', 'positives'].includes(k))
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' ');
}

/** `mlops models list` */
export async function modelsListCommand(): Promise<void> {
  await withRegistry(async (registry) => {
    const models = await registry.listModels();
    if (models.length === 0) return print('no models registered yet');
    print('MODEL\tLATEST\tCHAMPION\tVERSIONS\tUPDATED');
    for (const m of models)
      print(
        `${m.model}\tv${m.latestVersion}\t${m.championVersion ? `v${m.championVersion}` : '-'}\t${m.versions}\t${m.updatedAt}`,
      );
  });
}

/** Parses `model` or `model@version` (version: number or alias). */
export function parseModelRef(ref: string): { model: string; version: number | null; alias: string | null } {
  const match = /^([a-z][a-z0-9_-]*)(?:@(\w+))?$/.exec(ref);
  if (!match) throw new UsageError(`expected <model> or <model>@<version|alias>, found "${ref}"`);
  const model = match[1]!;
  const at = match[2];
  if (at === undefined) return { model, version: null, alias: null };
  const version = /^v?\d+$/.test(at) ? Number(at.replace(/^v/, '')) : null;
  return { model, version, alias: version === null ? at : null };
}

/** `mlops models show <model>[@version]` */
export async function modelsShowCommand(ref: string): Promise<void> {
  const { model, version, alias } = parseModelRef(ref);
  await withRegistry(async (registry) => {
    if (version === null && alias === null) {
      const versions = await registry.listVersions(model);
      if (versions.length === 0) throw new UsageError(`unknown model "${model}"`, 1);
      print('VERSION\tALIASES\tTRIGGER\tCREATED\tMETRICS');
      for (const v of versions)
        print(`v${v.version}\t${v.aliases.join(',') || '-'}\t${v.trigger}\t${v.createdAt}\t${fmtMetrics(v.metrics)}`);
      return;
    }
    const v =
      version !== null ? await registry.getVersion(model, version) : await registry.getVersionByAlias(model, alias!);
    if (!v) throw new UsageError(`unknown version ${ref}`, 1);
    const decision = v.decision as { promote?: boolean; reasons?: string[] } | null;
    print(`${v.model} v${v.version} ${v.aliases.length ? `[${v.aliases.join(', ')}]` : ''}`);
    print(`  created:   ${v.createdAt} by run ${v.runId} (trigger ${v.trigger})`);
    print(`  artifact:  ${v.artifactUri} sha256 ${v.artifactSha256}`);
    print(`  metrics:   ${fmtMetrics(v.metrics)}`);
    print(`  decision:  ${decision?.promote ? 'promote' : 'reject'}: ${(decision?.reasons ?? []).join('; ')}`);
    print(`  dataset:   ${v.lineage.datasetUri} sha256 ${v.lineage.datasetSha256} (${v.lineage.datasetRows} rows)`);
    print(`  profile:   ${v.lineage.profileUri}`);
    print(`  trainer:   ${v.lineage.trainer} ${JSON.stringify(v.lineage.hyperparameters)}`);
    print(`  code:      ${v.lineage.codeVersion}; spec sha256 ${v.lineage.specHash}`);
    print(`  parent:    ${v.lineage.parentVersion !== null ? `v${v.lineage.parentVersion}` : '-'}`);
  });
}
