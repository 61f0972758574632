import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  startChild,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ControllerDecision,
  RetrainingControllerInput,
  RetrainingControllerState,
  RetrainNowRequest,
  RetrainNowResult,
} from '../contracts/controller.js';
import {
  controllerStatusQuery,
  driftDetectedSignal,
  manualRetrainSignal,
  newDataSignal,
  performanceDroppedSignal,
  retrainNowUpdate,
} from '../contracts/messages.js';
import type { Trigger, TrainingPipelineResult } from '../contracts/payloads.js';
import { MODEL_KEY, STAGE_KEY, TRIGGER_KEY, VERSION_KEY } from '../contracts/search-attributes.js';
import { pipelineWorkflowId } from '../contracts/workflow-ids.js';
import { durable } from './activity-proxies.js';
import { parseDuration } from '../lib/spec/duration.js';
import { mergeTriggers } from './merge-triggers.js';
import { trainingPipeline } from './training-pipeline.js';

const RECENT_DECISIONS = 20;
/** Triggers the cooldown holds; manual and new-data triggers always run at once. */
const AUTOMATIC_TRIGGERS: ReadonlySet<Trigger['kind']> = new Set(['drift', 'performance', 'schedule']);
/** Continue-as-new well before the history gets large (signals add events even when idle). */
const MAX_HISTORY_EVENTS = 5000;

function failureMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let message = err.message;
  let cause = err.cause;
  while (cause instanceof Error) {
    message += `: ${cause.message}`;
    cause = cause.cause;
  }
  return message;
}

/**
 * One per model (`retrain-<model>`): takes retraining triggers as signals/updates and runs at most one
 * `trainingPipeline` at a time as a child. Triggers that arrive during a run coalesce into one follow-up run.
 * A failed pipeline is recorded and the controller keeps going. Continues-as-new when idle and history is large.
 */
export async function retrainingController(input: RetrainingControllerInput): Promise<void> {
  let spec = input.spec;
  const model = spec.model;
  const state: RetrainingControllerState = input.state ?? {
    pending: [],
    current: null,
    deployedVersion: null,
    runsStarted: 0,
    recent: [],
  };
  let lastPipelineId: string | null = null;
  /** Outcome of the latest attempt to start a pipeline child; `retrainNow` answers only once its run has one. */
  let launches = 0;
  let lastLaunch: { pipelineId: string; error: string | null } | null = null;

  const decide = (decision: ControllerDecision): void => {
    state.recent.push(decision);
    if (state.recent.length > RECENT_DECISIONS) state.recent.shift();
    render();
  };
  const render = (): void => {
    const phase = state.current ? `training: ${state.current.pipelineId} (${state.current.trigger.kind})` : 'idle';
    const lines = [
      `**Retraining controller for "${model}"**: ${phase}`,
      '',
      `deployed version: ${state.deployedVersion ?? 'none'}; runs started: ${state.runsStarted}; pending triggers: ${state.pending.length}`,
      '',
      ...state.recent
        .slice(-8)
        .reverse()
        .map((d) => `- ${d.at} **${d.decision}** ${d.trigger.kind}: ${d.detail}`),
    ];
    setCurrentDetails(lines.join('\n'));
  };
  /**
   * Queues a trigger. One that arrives during a run is a `coalesced` decision, recorded in the registry like every
   * other decision (histories from before the `record-coalesced-decisions` patch kept it in `recent` only); the
   * returned promise settles once it is recorded (or the recording gave up). Continue-as-new waits for the handlers
   * that await it (`allHandlersFinished`).
   */
  const enqueue = (trigger: Trigger): Promise<void> | undefined => {
    state.pending.push(trigger);
    if (!state.current) {
      render();
      return undefined;
    }
    const decision: ControllerDecision = {
      at: trigger.at,
      trigger,
      decision: 'coalesced',
      pipelineId: null,
      detail: `queued behind ${state.current.pipelineId}: ${trigger.reason}`,
    };
    decide(decision);
    if (!patched('record-coalesced-decisions')) return undefined;
    // A registry outage must not fail the controller from a handler: the decision stays in `recent` and the log.
    return durable.recordRetrainDecision({ model, decision }).catch((err: unknown) => {
      log.warn('could not record a coalesced decision', { trigger: trigger.kind, error: failureMessage(err) });
    });
  };
  const now = (): string => new Date().toISOString();

  setHandler(
    newDataSignal,
    ({ datasetUri, reason }) =>
      enqueue({ kind: 'new_data', reason: reason ?? `new data at ${datasetUri}`, at: now(), datasetUri }),
    { description: 'A new dataset landed: retrain on it ({ datasetUri, reason? })' },
  );
  setHandler(
    driftDetectedSignal,
    ({ report }) =>
      enqueue({
        kind: 'drift',
        reason: report.summary,
        at: now(),
        evidence: { window: report.windowEnd, version: report.version, drift: report.drift },
      }),
    { description: 'The monitor found drift in served traffic ({ report })' },
  );
  setHandler(
    performanceDroppedSignal,
    ({ report }) =>
      enqueue({
        kind: 'performance',
        reason: report.summary,
        at: now(),
        evidence: { window: report.windowEnd, version: report.version, performance: report.performance },
      }),
    { description: 'The monitor found performance below the floor on labelled traffic ({ report })' },
  );
  setHandler(manualRetrainSignal, ({ reason, kind }) => enqueue({ kind: kind ?? 'manual', reason, at: now() }), {
    description: 'Retrain now, by hand or from the schedule ({ reason, kind? })',
  });
  setHandler(
    retrainNowUpdate,
    async (request): Promise<RetrainNowResult> => {
      if (request.spec) spec = request.spec;
      const trigger: Trigger = { kind: request.kind ?? 'manual', reason: request.reason, at: now() };
      if (request.datasetUri) trigger.datasetUri = request.datasetUri;
      const runningBefore = state.current?.pipelineId ?? null;
      const recorded = enqueue(trigger);
      if (runningBefore) {
        await recorded;
        return { pipelineId: null, disposition: 'queued', runningPipelineId: runningBefore };
      }
      const launchesBefore = launches;
      await condition(() => launches > launchesBefore);
      const launch = lastLaunch!;
      if (launch.error !== null) {
        throw ApplicationFailure.create({
          message: `could not start ${launch.pipelineId}: ${launch.error}`,
          type: 'PipelineStartFailed',
        });
      }
      return { pipelineId: launch.pipelineId, disposition: 'started', runningPipelineId: null };
    },
    {
      description:
        'Start (or queue) a retrain and return the pipeline that carries it ({ reason, spec?, datasetUri? })',
      validator: (request: RetrainNowRequest) => {
        if (request.spec && request.spec.model !== model) {
          throw new Error(`spec is for model "${request.spec.model}" but this controller manages "${model}"`);
        }
      },
    },
  );
  setHandler(controllerStatusQuery, () => ({ ...state, model, phase: state.current ? 'training' : 'idle' }), {
    description: 'Phase, current pipeline, pending triggers and recent decisions',
  });

  /**
   * Holds automatic triggers (drift, performance, schedule) until the cooldown after the last run has passed; a
   * manual or new-data trigger arriving meanwhile ends the hold (and carries the held ones with it).
   */
  const holdAutomaticTriggersInCooldown = async (): Promise<void> => {
    const cooldown = spec.retraining?.cooldown ?? '0s';
    const cooldownMs = parseDuration(cooldown);
    if (cooldownMs <= 0 || !state.lastFinishedAt) return;
    const holdUntil = Date.parse(state.lastFinishedAt) + cooldownMs;
    const automaticOnly = (): boolean => state.pending.every((t) => AUTOMATIC_TRIGGERS.has(t.kind));
    if (Date.now() >= holdUntil || !automaticOnly()) return;
    const first = state.pending[0]!;
    decide({
      at: now(),
      trigger: first,
      decision: 'deferred',
      pipelineId: null,
      detail: `cooldown: ${first.kind} retrain held until ${new Date(holdUntil).toISOString()} (${cooldown} after the last run)`,
    });
    upsertSearchAttributes([{ key: STAGE_KEY, value: 'cooldown' }]);
    await durable.recordRetrainDecision({ model, decision: state.recent[state.recent.length - 1]! });
    await condition(() => !automaticOnly(), holdUntil - Date.now(), { summary: `retraining cooldown (${cooldown})` });
  };

  upsertSearchAttributes([
    { key: MODEL_KEY, value: model },
    { key: STAGE_KEY, value: 'idle' },
  ]);
  if (state.deployedVersion !== null) upsertSearchAttributes([{ key: VERSION_KEY, value: state.deployedVersion }]);
  render();

  for (;;) {
    const historyLarge = () =>
      workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;
    await condition(() => state.pending.length > 0 || historyLarge());
    if (state.pending.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof retrainingController>({ spec, state });
    }
    if (patched('controller-cooldown')) await holdAutomaticTriggersInCooldown();
    const trigger = mergeTriggers(state.pending.splice(0));
    let pipelineId = pipelineWorkflowId(model, Date.now());
    if (pipelineId === lastPipelineId) pipelineId = `${pipelineId}-${state.runsStarted + 1}`;
    lastPipelineId = pipelineId;
    state.current = { pipelineId, trigger, startedAt: now() };
    state.runsStarted++;
    upsertSearchAttributes([
      { key: STAGE_KEY, value: 'training' },
      { key: TRIGGER_KEY, value: trigger.kind },
    ]);
    decide({ at: now(), trigger, decision: 'started', pipelineId, detail: `started ${pipelineId}: ${trigger.reason}` });
    await durable.recordRetrainDecision({ model, decision: state.recent[state.recent.length - 1]! });

    let finished: ControllerDecision;
    try {
      const child = await startChild(trainingPipeline, {
        workflowId: pipelineId,
        args: [{ spec, trigger }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `Retrain ${model} (${trigger.kind}): ${trigger.reason}`.slice(0, 200),
        typedSearchAttributes: [
          { key: MODEL_KEY, value: model },
          { key: TRIGGER_KEY, value: trigger.kind },
          { key: STAGE_KEY, value: 'starting' },
        ],
      });
      lastLaunch = { pipelineId, error: null };
      launches++;
      const result: TrainingPipelineResult = await child.result();
      if (result.outcome === 'deployed' && result.version !== null) {
        state.deployedVersion = result.version;
        upsertSearchAttributes([{ key: VERSION_KEY, value: result.version }]);
        await durable.ensureMonitorRunning({ spec, controllerWorkflowId: workflowInfo().workflowId });
      }
      finished = {
        at: now(),
        trigger,
        decision: 'completed',
        pipelineId,
        outcome: result.outcome,
        version: result.version,
        detail: `${pipelineId}: ${result.outcome}${result.version !== null ? ` v${result.version}` : ''}: ${result.reasons.join('; ')}`,
      };
    } catch (err) {
      if (lastLaunch?.pipelineId !== pipelineId) {
        lastLaunch = { pipelineId, error: failureMessage(err) };
        launches++;
      }
      log.warn('pipeline failed', { pipelineId, error: failureMessage(err) });
      finished = {
        at: now(),
        trigger,
        decision: 'failed',
        pipelineId,
        outcome: 'failed',
        detail: `${pipelineId} failed: ${failureMessage(err)}`,
      };
    }
    state.current = null;
    state.lastFinishedAt = now();
    upsertSearchAttributes([{ key: STAGE_KEY, value: state.pending.length > 0 ? 'queued' : 'idle' }]);
    decide(finished);
    await durable.recordRetrainDecision({ model, decision: finished });
  }
}
