import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  DATASET_CHANGED,
  REPRODUCED_TAG,
  type LoadReproductionSourceInput,
  type RecordReproductionInput,
  type ReproductionSource,
  type VerifyDatasetVersionInput,
} from '../contracts/reproduce.js';
import { datasetSha256 } from '../lib/data/read-dataset.js';
import { RegistryNotFoundError } from '../lib/registry/errors.js';
import { validateSpec } from '../lib/spec/load-spec.js';
import { specHash } from '../lib/spec/spec-hash.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/** Failure type of a version that cannot be reproduced at all (no stored spec, or one that is not the recorded one). */
const NOT_REPRODUCIBLE = 'NotReproducible';

/**
 * The registry side of `mlops reproduce`: reading what a version was made from, checking its dataset is still the
 * same bytes, and recording the outcome as a tag on the version. Training itself reuses `validateData` and
 * `trainModel` (under the reproduction's own run ID, so the original artifacts are never overwritten).
 */
export function createReproduceActivities(deps: ActivityDeps) {
  /** Reads a version's lineage, stored spec and registered artifact; fails non-retryably if it cannot be reproduced. */
  async function loadReproductionSource(input: LoadReproductionSourceInput): Promise<ReproductionSource> {
    return permanentErrorsAreFinal(async () => {
      const { model, version } = input;
      const found = await deps.registry.getVersion(model, version);
      if (!found) throw new RegistryNotFoundError('version', `${model}@${version}`);
      if (found.spec === null || typeof found.spec !== 'object') {
        throw ApplicationFailure.nonRetryable(
          `${model} v${version} has no stored pipeline spec, so it cannot be retrained from its lineage`,
          NOT_REPRODUCIBLE,
        );
      }
      const hash = specHash(found.spec);
      if (hash !== found.lineage.specHash) {
        throw ApplicationFailure.nonRetryable(
          `the spec stored with ${model} v${version} hashes to ${hash}, but its lineage records specHash ${found.lineage.specHash}`,
          NOT_REPRODUCIBLE,
        );
      }
      // Validated again for its key order: JSONB stores object keys in its own order, and the exported ONNX holds
      // JSON of the features and hyperparameters, so only the schema's order gives back the original bytes.
      const spec = validateSpec(found.spec, `the spec stored with ${model} v${version}`);
      const validatedHash = specHash(spec);
      if (validatedHash !== found.lineage.specHash) {
        throw ApplicationFailure.nonRetryable(
          `the spec stored with ${model} v${version} validates to a different spec under the current schema ` +
            `(hash ${validatedHash}, recorded ${found.lineage.specHash})`,
          NOT_REPRODUCIBLE,
        );
      }
      return {
        model,
        version,
        runId: found.runId,
        artifactUri: found.artifactUri,
        artifactSha256: found.artifactSha256,
        spec,
        lineage: found.lineage,
        codeVersion: deps.codeVersion,
      };
    });
  }

  /**
   * Hashes the dataset at `uri` and fails non-retryably (type `DatasetChanged`, naming both hashes) when it is no
   * longer the version the model was trained on.
   */
  async function verifyDatasetVersion(input: VerifyDatasetVersionInput): Promise<{ sha256: string }> {
    return permanentErrorsAreFinal(async () => {
      const bytes = await deps.readUri(input.uri);
      const sha256 = datasetSha256(bytes);
      Context.current().heartbeat('hashed');
      if (sha256 !== input.expectedSha256) {
        throw ApplicationFailure.create({
          message: `dataset at ${input.uri} is now ${sha256}, the version was trained on ${input.expectedSha256}`,
          type: DATASET_CHANGED,
          nonRetryable: true,
          details: [{ uri: input.uri, sha256, expectedSha256: input.expectedSha256 }],
        });
      }
      return { sha256 };
    });
  }

  /** Records the outcome on the version as the tag `reproduced=<ISO time>:match|mismatch` (the latest one wins). */
  async function recordReproduction(input: RecordReproductionInput): Promise<void> {
    await permanentErrorsAreFinal(() =>
      deps.registry.setTags(input.model, input.version, {
        [REPRODUCED_TAG]: `${input.at}:${input.match ? 'match' : 'mismatch'}`,
      }),
    );
  }

  return { loadReproductionSource, verifyDatasetVersion, recordReproduction };
}
