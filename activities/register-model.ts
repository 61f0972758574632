import { lineageHyperparameters } from '../lib/spec/trainer-spec.js';
import type { RegisterModelInput, RegisterModelResult } from '../contracts/payloads.js';
import { specHash } from '../lib/spec/spec-hash.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/**
 * Registers the trained model version with its lineage, metrics and evaluation decision.
 * Idempotent: keyed by the producing pipeline's workflow ID, so retries never create a second version.
 */
export function createRegisterModel(deps: ActivityDeps) {
  return async function registerModel(input: RegisterModelInput): Promise<RegisterModelResult> {
    return permanentErrorsAreFinal(async () => {
      const { spec, runId, train, data, evaluation, trigger } = input;
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
            ...lineageHyperparameters(spec.trainer.hyperparameters),
            seed: spec.split.seed,
            device: train.device,
          },
          parentVersion: evaluation.champion?.version ?? null,
          ...(input.approval && { approval: input.approval }),
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
