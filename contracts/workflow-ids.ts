/** Compact UTC timestamp for IDs: 20261123T140512Z. */
export function compactTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** `pipeline-<model>-<timestamp>`: one training pipeline run. */
export function pipelineWorkflowId(model: string, nowMs: number): string {
  return `pipeline-${model}-${compactTimestamp(nowMs)}`;
}

/** `retrain-<model>`: the per-model retraining controller. */
export function controllerWorkflowId(model: string): string {
  return `retrain-${model}`;
}

/** `monitor-<model>`: the per-model monitor. */
export function monitorWorkflowId(model: string): string {
  return `monitor-${model}`;
}

/** `schedule-<model>`: the Temporal Schedule for periodic retraining. */
export function scheduleId(model: string): string {
  return `schedule-${model}`;
}

/** `reproduce-<model>-v<version>-<timestamp>`: one reproduction of a registered version from its lineage. */
export function reproduceWorkflowId(model: string, version: number, nowMs: number): string {
  return `reproduce-${model}-v${version}-${compactTimestamp(nowMs)}`;
}
