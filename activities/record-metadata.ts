import { Context } from '@temporalio/activity';
import type { ControllerDecision } from '../contracts/controller.js';
import type { RecordRunInput } from '../contracts/payloads.js';
import { pipelineFailedAlert } from '../lib/alerts/events.js';
import { notifyAlert } from '../lib/alerts/notifier.js';
import { specHash } from '../lib/spec/spec-hash.js';
import { alertOrigin } from './control.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/** The Level 1 metadata store: pipeline runs, per-stage timings, and the controller's decisions. */
export function createRecordMetadata(deps: ActivityDeps) {
  async function recordPipelineRun(input: RecordRunInput): Promise<void> {
    await permanentErrorsAreFinal(async () => {
      await deps.registry.recordPipelineRun({
        runId: input.runId,
        model: input.model,
        trigger: input.trigger.kind,
        specHash: specHash(input.spec),
      });
      for (const stage of input.stages) {
        await deps.registry.recordStage({
          runId: input.runId,
          stage: stage.stage,
          status: 'completed',
          startedAt: stage.startedAt,
          finishedAt: stage.finishedAt,
          details: { detail: stage.detail },
        });
      }
      if (input.outcome !== 'running') {
        await deps.registry.finishPipelineRun({
          runId: input.runId,
          outcome: input.outcome,
          version: input.version,
          error: input.error,
        });
      }
    });
    if (deps.alerts && (input.outcome === 'failed' || input.outcome === 'invalid_data')) {
      // The pipeline records its failure before it fails: the moment for a `pipeline_failed` alert (never throws).
      const alert = pipelineFailedAlert({
        pipelineId: input.runId,
        model: input.model,
        outcome: input.outcome,
        error: input.error,
        trigger: { kind: input.trigger.kind, reason: input.trigger.reason },
        completedStages: input.stages.map((s) => s.stage),
        occurredAt: new Date().toISOString(),
      });
      await notifyAlert(deps, alert, {
        alertsSpec: input.spec.alerts,
        origin: alertOrigin(),
        log: Context.current().log,
      });
    }
  }

  async function recordRetrainDecision(input: { model: string; decision: ControllerDecision }): Promise<void> {
    await permanentErrorsAreFinal(() =>
      deps.registry.recordRetrainDecision({
        model: input.model,
        key: retrainDecisionKey(input.decision),
        trigger: input.decision.trigger.kind,
        decision: input.decision.decision,
        pipelineId: input.decision.pipelineId,
        details: input.decision,
      }),
    );
  }

  return { recordPipelineRun, recordRetrainDecision };
}

/**
 * `completed:pipeline-churn-20261205T152354Z:drift:2026-12-05T15:23:54.120Z`: a controller decision's identity. The
 * time is workflow time (recorded in history), so every retry of the recording activity computes the same key.
 */
export function retrainDecisionKey(decision: ControllerDecision): string {
  return [decision.decision, decision.pipelineId ?? '-', decision.trigger.kind, decision.at].join(':');
}
