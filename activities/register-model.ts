import { lineageHyperparameters } from '../lib/spec/trainer-spec.js';
import type { RegisterModelInput, RegisterModelResult, TuningSummary } from '../contracts/payloads.js';
import type { TuningLineage } from '../lib/registry/types.js';
import { specHash } from '../lib/spec/spec-hash.js';
import { trialHyperparameters } from '../lib/train/tuning-sampler.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/**
 * Stores the full record of a hyperparameter search as `models/<model>/runs/<runId>/tuning.json` and returns its
 * lineage form: every trial's number, hyperparameters, validation metric, status and model sha256.
 */
async function recordTuning(
  deps: ActivityDeps,
  input: RegisterModelInput,
  tuning: TuningSummary,
): Promise<TuningLineage> {
  const { spec, runId } = input;
  const ref = await deps.artifacts.put(
    `models/${spec.model}/runs/${runId}/tuning.json`,
    JSON.stringify({ model: spec.model, runId, space: spec.tuning?.space ?? {}, ...tuning }, null, 2),
    { contentType: 'application/json' },
  );
  return {
    metric: tuning.metric,
    direction: tuning.direction,
    search: tuning.search,
    seed: tuning.seed,
    maxParallel: tuning.maxParallel,
    bestTrial: tuning.bestTrial,
    artifactUri: ref.uri,
    trials: tuning.trials.map((t) => ({
      number: t.number,
      params: t.params,
      status: t.status,
      value: t.value,
      modelSha256: t.modelSha256,
      error: t.error,
    })),
  };
}

/**
 * Registers the trained model version with its lineage, metrics and evaluation decision. With a hyperparameter
 * search, the lineage's hyperparameters are the winning trial's and `lineage.tuning` lists every trial.
 * Idempotent: keyed by the producing pipeline's workflow ID, so retries never create a second version.
 */
export function createRegisterModel(deps: ActivityDeps) {
  return async function registerModel(input: RegisterModelInput): Promise<RegisterModelResult> {
    return permanentErrorsAreFinal(async () => {
      const { spec, runId, train, data, evaluation, trigger } = input;
      const tuning = input.tuning ? await recordTuning(deps, input, input.tuning) : undefined;
      const best = input.tuning?.trials.find((t) => t.number === input.tuning?.bestTrial);
      const hyperparameters = best
        ? trialHyperparameters(spec.trainer.hyperparameters, best.params)
        : spec.trainer.hyperparameters;
      return deps.registry.registerVersion({
        model: spec.model,
        runId,
        artifactUri: train.modelUri,
        artifactSha256: train.modelSha256,
        metrics: evaluation.metrics,
        lineage: {
          datasetUri: data.dataset.uri,
          datasetSha256: data.dataset.sha256,
          datasetRows: data.dataset.rows,
          schemaFingerprint: data.dataset.schemaFingerprint,
          profileUri: data.profileUri,
          specHash: specHash(spec),
          codeVersion: deps.codeVersion,
          trainer: spec.trainer.algorithm,
          hyperparameters: {
            ...lineageHyperparameters(hyperparameters),
            seed: spec.split.seed,
            device: train.device,
          },
          parentVersion: evaluation.champion?.version ?? null,
          training: { requested: spec.trainer.resources, device: train.device, worker: train.worker },
          ...(input.approval && { approval: input.approval }),
          ...(tuning && { tuning }),
        },
        spec,
        decision: {
          promote: evaluation.promote,
          reasons: evaluation.reasons,
          evidenceUri: evaluation.decisionUri,
          ...(input.approval && { approval: input.approval }),
        },
        trigger: trigger.kind,
      });
    });
  };
}
