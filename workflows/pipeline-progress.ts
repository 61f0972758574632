import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PipelineStage, StageTiming, TrainingPipelineResult } from '../contracts/payloads.js';
import { STAGE_KEY, VERSION_KEY } from '../contracts/search-attributes.js';
import type { PipelineProgress } from '../contracts/messages.js';

const STAGE_ORDER: PipelineStage[] = ['validating', 'training', 'evaluating', 'registering', 'deploying'];

/**
 * Tracks a pipeline run for people: the `MlopsStage` search attribute, the Web UI's current details (a markdown
 * checklist of stages with timings and notes) and the `progress` query answer.
 */
export class PipelineProgressTracker {
  readonly stages: StageTiming[] = [];
  readonly notes: string[] = [];
  private current: { stage: PipelineStage; startedAt: string } | null = null;
  private finalLine: string | null = null;
  private latest = '';
  private runningDetail: string | null = null;
  result: TrainingPipelineResult | null = null;

  constructor(private readonly title: string) {}

  /** Marks `stage` as running (and the previous one as done with `detail`). */
  begin(stage: PipelineStage): void {
    this.current = { stage, startedAt: new Date().toISOString() };
    upsertSearchAttributes([{ key: STAGE_KEY, value: stage }]);
    this.render();
  }

  /** Completes the running stage with a one-line outcome. */
  complete(detail: string): void {
    if (!this.current) return;
    this.stages.push({ ...this.current, finishedAt: new Date().toISOString(), detail });
    this.latest = `${this.current.stage} done: ${detail}`;
    this.current = null;
    this.render();
  }

  note(line: string): void {
    this.notes.push(line);
    this.latest = line;
    if (this.notes.length > 20) this.notes.shift();
    this.render();
  }

  /** A live line shown beside the running stage (e.g. tuning's trial progress); null removes it. */
  setDetail(line: string | null): void {
    this.runningDetail = line;
    if (line !== null) this.latest = line;
    this.render();
  }

  setVersion(version: number): void {
    upsertSearchAttributes([{ key: VERSION_KEY, value: version }]);
  }

  /** Final state: `deployed`, `rejected`, `invalid_data` or `failed`, with a closing line. */
  finish(stage: string, line: string): void {
    upsertSearchAttributes([{ key: STAGE_KEY, value: stage }]);
    this.finalLine = line;
    this.current = null;
    this.render();
  }

  progress(): PipelineProgress {
    return {
      stage: this.current?.stage ?? this.finalLine ?? 'starting',
      detail: this.latest,
      result: this.result,
    };
  }

  private render(): void {
    const done = new Map(this.stages.map((s) => [s.stage, s]));
    const lines = [`**${this.title}**`, ''];
    for (const stage of STAGE_ORDER) {
      const finished = done.get(stage);
      if (finished) {
        const secs = (Date.parse(finished.finishedAt) - Date.parse(finished.startedAt)) / 1000;
        lines.push(`- ✓ ${stage} (${secs.toFixed(1)}s): ${finished.detail}`);
      } else if (this.current?.stage === stage) {
        lines.push(`- ▶ **${stage}...**${this.runningDetail === null ? '' : ` ${this.runningDetail}`}`);
      } else {
        lines.push(`- ○ ${stage}`);
      }
    }
    if (this.finalLine) lines.push('', `**Result:** ${this.finalLine}`);
    if (this.notes.length > 0) lines.push('', ...this.notes.map((n) => `> ${n}`));
    lines.push('', `_run ${workflowInfo().workflowId}_`);
    setCurrentDetails(lines.join('\n'));
  }
}
