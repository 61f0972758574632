import type { TuningLineage } from '../../lib/registry/types.js';

function formatParam(v: number | string | boolean | number[]): string {
  return Array.isArray(v) ? `[${v.join(',')}]` : String(v);
}

/**
 * The `tuning:` block of `mlops models show`: the search's settings, then one line per trial (the winner starred),
 * e.g. `  * trial 2  succeeded  validation_log_loss=0.4012  learningRate=0.03 l2=0.0001  model 3f2a...`.
 */
export function tuningLines(tuning: TuningLineage): string[] {
  const lines = [
    `  tuning:    ${tuning.search} search, ${tuning.trials.length} trial(s), at most ${tuning.maxParallel} at once, ` +
      `${tuning.direction} validation_${tuning.metric}; best trial ${tuning.bestTrial} (${tuning.artifactUri})`,
  ];
  for (const t of tuning.trials) {
    const params = Object.entries(t.params)
      .map(([k, v]) => `${k}=${formatParam(v)}`)
      .join(' ');
    const outcome =
      t.status === 'succeeded'
        ? `validation_${tuning.metric}=${t.value === null ? 'n/a' : t.value.toFixed(4)}`
        : `failed: ${t.error ?? 'unknown error'}`;
    const mark = t.number === tuning.bestTrial ? '*' : ' ';
    const model = t.modelSha256 === null ? '' : `  model ${t.modelSha256.slice(0, 12)}`;
    lines.push(`    ${mark} trial ${t.number}  ${t.status}  ${outcome}  ${params}${model}`);
  }
  return lines;
}
