import { createPgRegistry } from '../../lib/registry/pg-registry.js';
import type { ModelRegistry } from '../../lib/registry/model-registry.js';
import type { ModelVersion } from '../../lib/registry/types.js';
import { UsageError } from '../errors.js';
import { resolveStackSettings } from '../stack-settings.js';
import { tuningLines } from './tuning-lines.js';

const print = (line: string): void => console.log(line);

/** Runs `fn` with the registry the CLI finds (environment, `.mlops/stack.json`, defaults). */
export async function withRegistry<T>(fn: (registry: ModelRegistry) => Promise<T>): Promise<T> {
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
    const t = v.lineage.training;
    if (t) print(`  trained:   on ${t.device} by ${t.worker} (${t.requested} requested)`);
    print(`  code:      ${v.lineage.codeVersion}; spec sha256 ${v.lineage.specHash}`);
    print(`  parent:    ${v.lineage.parentVersion !== null ? `v${v.lineage.parentVersion}` : '-'}`);
    if (v.lineage.tuning) for (const line of tuningLines(v.lineage.tuning)) print(line);
  });
}

function describeVersion(v: ModelVersion): Record<string, string> {
  const decision = v.decision as { promote?: boolean; reasons?: string[] } | null;
  return {
    created: `${v.createdAt} (run ${v.runId}, trigger ${v.trigger})`,
    aliases: v.aliases.join(', ') || '-',
    artifact: v.artifactSha256.slice(0, 16),
    dataset: `${v.lineage.datasetSha256.slice(0, 16)} (${v.lineage.datasetRows} rows) ${v.lineage.datasetUri}`,
    schema: v.lineage.schemaFingerprint.slice(0, 16),
    spec: v.lineage.specHash.slice(0, 16),
    code: v.lineage.codeVersion,
    trainer: v.lineage.trainer,
    hyperparameters: JSON.stringify(v.lineage.hyperparameters),
    parent: v.lineage.parentVersion !== null ? `v${v.lineage.parentVersion}` : '-',
    decision: decision?.promote ? 'promote' : 'reject',
  };
}

/** `mlops models diff <model>@<a> <model>@<b>`: metrics side by side with deltas, then lineage fields that differ. */
export async function modelsDiffCommand(refA: string, refB: string): Promise<void> {
  const a = parseModelRef(refA);
  const b = parseModelRef(refB);
  if (a.version === null || b.version === null) throw new UsageError('expected two <model>@<version> references');
  await withRegistry(async (registry) => {
    const va = await registry.getVersion(a.model, a.version!);
    const vb = await registry.getVersion(b.model, b.version!);
    if (!va) throw new UsageError(`unknown version ${refA}`, 1);
    if (!vb) throw new UsageError(`unknown version ${refB}`, 1);
    print(`METRIC\t${refA}\t${refB}\tDELTA`);
    const names = [...new Set([...Object.keys(va.metrics), ...Object.keys(vb.metrics)])].sort();
    for (const name of names) {
      const x = va.metrics[name];
      const y = vb.metrics[name];
      const delta = x !== undefined && y !== undefined ? (y - x >= 0 ? '+' : '') + (y - x).toFixed(4) : '';
      print(`${name}\t${x?.toFixed(4) ?? '-'}\t${y?.toFixed(4) ?? '-'}\t${delta}`);
    }
    const da = describeVersion(va);
    const db = describeVersion(vb);
    const changed = Object.keys(da).filter((k) => da[k] !== db[k]);
    print('');
    print(changed.length ? 'LINEAGE (differences)' : 'LINEAGE: identical');
    for (const k of changed) print(`  ${k}:\n    ${refA}: ${da[k]}\n    ${refB}: ${db[k]}`);
  });
}

/** `mlops lineage <model>@<version>`: the chain of versions back to the first, with data, code and decision. */
export async function lineageCommand(ref: string): Promise<void> {
  const { model, version } = parseModelRef(ref);
  if (version === null) throw new UsageError(`expected <model>@<version>, found "${ref}"`);
  await withRegistry(async (registry) => {
    let current: number | null = version;
    let depth = 0;
    while (current !== null && depth < 50) {
      const v = await registry.getVersion(model, current);
      if (!v) throw new UsageError(`unknown version ${model}@${current}`, 1);
      const d = describeVersion(v);
      print(`${'  '.repeat(depth)}${model} v${v.version} [${d['aliases']}] ${d['decision']} - ${d['created']}`);
      for (const k of ['dataset', 'schema', 'spec', 'code', 'trainer', 'hyperparameters', 'artifact']) {
        print(`${'  '.repeat(depth)}    ${k}: ${d[k]}`);
      }
      current = v.lineage.parentVersion;
      depth++;
    }
  });
}
