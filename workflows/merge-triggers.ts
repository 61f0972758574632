import type { Trigger, TriggerKind } from '../contracts/payloads.js';

/** When several triggers coalesce into one run, the run is labelled by the most specific one. */
const PRIORITY: TriggerKind[] = ['manual', 'new_data', 'performance', 'drift', 'schedule', 'initial'];

/**
 * Coalesces triggers that arrived while a pipeline ran into the single trigger of the follow-up run.
 * The newest dataset wins; reasons are all kept.
 */
export function mergeTriggers(triggers: readonly Trigger[]): Trigger {
  const first = triggers[0];
  if (!first) throw new Error('mergeTriggers needs at least one trigger');
  if (triggers.length === 1) return first;
  const kind = PRIORITY.find((k) => triggers.some((t) => t.kind === k)) ?? first.kind;
  const datasetUri = [...triggers].reverse().find((t) => t.datasetUri)?.datasetUri;
  const merged: Trigger = {
    kind,
    reason: `${triggers.length} triggers coalesced: ${triggers.map((t) => `${t.kind} (${t.reason})`).join('; ')}`,
    at: triggers[triggers.length - 1]!.at,
    evidence: { coalesced: triggers.map((t) => ({ kind: t.kind, at: t.at, reason: t.reason })) },
  };
  if (datasetUri) merged.datasetUri = datasetUri;
  return merged;
}
