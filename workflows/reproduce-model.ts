import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ValidateDataResult } from '../contracts/payloads.js';
import {
  DATASET_CHANGED,
  type ReproduceModelInput,
  type ReproduceModelResult,
  type ReproductionSource,
} from '../contracts/reproduce.js';
import { MODEL_KEY, STAGE_KEY, TRIGGER_KEY, VERSION_KEY } from '../contracts/search-attributes.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import { durable, quick } from './activity-proxies.js';
import { trainWithRouting } from './train-with-routing.js';

const short = (sha: string): string => sha.slice(0, 12);

/**
 * `mlops reproduce <model>@<version>`: retrains a registered version from its recorded lineage and reports whether
 * the ONNX bytes come out identical. Reads the stored spec and lineage, checks the dataset still hashes to the
 * recorded version (a changed dataset fails non-retryably, naming both hashes), re-runs `validateData` with the
 * dataset pinned to that version and `trainModel` with the recorded spec and seed, compares the new model's sha256
 * with the registered artifact's and records the outcome as the version's `reproduced` tag.
 *
 * It registers and deploys nothing, and trains under its own workflow ID as run ID, so its checkpoints and model
 * land beside, never over, the original run's artifacts.
 */
export async function reproduceModel(input: ReproduceModelInput): Promise<ReproduceModelResult> {
  const { model, version } = input;
  const runId = workflowInfo().workflowId;
  const startedMs = Date.now();
  const header = `**Reproduce ${model} v${version}** from its lineage${input.requestedBy ? ` (requested by ${input.requestedBy})` : ''}`;
  const lines: string[] = [];
  const report = (stage: string, line: string): void => {
    upsertSearchAttributes([{ key: STAGE_KEY, value: stage }]);
    lines.push(`- ${stage}: ${line}`);
    setCurrentDetails(`${header}\n\n${lines.join('\n')}`);
  };
  upsertSearchAttributes([
    { key: MODEL_KEY, value: model },
    { key: VERSION_KEY, value: version },
    { key: TRIGGER_KEY, value: 'reproduce' },
  ]);

  try {
    report('loading', 'reading lineage and spec from the registry');
    const source = await quick.loadReproductionSource.executeWithOptions(
      { summary: `Read lineage and spec of ${model} v${version}` },
      [{ model, version }],
    );
    const { lineage } = source;
    report(
      'validating',
      `dataset ${lineage.datasetUri} (${short(lineage.datasetSha256)}), spec ${short(lineage.specHash)}, ` +
        `trainer ${lineage.trainer}, registered model ${short(source.artifactSha256)}`,
    );
    await quick.verifyDatasetVersion.executeWithOptions(
      { summary: `Check dataset is still ${short(lineage.datasetSha256)}` },
      [{ uri: lineage.datasetUri, expectedSha256: lineage.datasetSha256 }],
    );
    const spec = reproductionSpec(source);
    const data: ValidateDataResult = await quick.validateData.executeWithOptions(
      { summary: `Validate dataset ${lineage.datasetUri} (pinned to ${short(lineage.datasetSha256)})` },
      [{ spec, runId, datasetUri: lineage.datasetUri }],
    );
    if (!data.passed) {
      throw ApplicationFailure.nonRetryable(
        `dataset ${lineage.datasetUri} no longer passes validation: ${data.topProblems.join('; ')} (report: ${data.reportUri})`,
        'InvalidDataset',
      );
    }

    report('training', `${spec.trainer.algorithm}, seed ${spec.split.seed}, ${data.trainRows} training rows`);
    // A version chosen by a hyperparameter search is retrained with its winning trial's hyperparameters (the same
    // validation split and artifacts layout as that trial).
    const tuning = lineage.tuning;
    const best = tuning?.trials.find((t) => t.number === tuning.bestTrial);
    const trial = tuning && best ? { number: best.number, of: tuning.trials.length, params: best.params } : undefined;
    const train = await trainWithRouting(
      spec,
      { spec, runId, trainUri: data.trainUri, ...(trial ? { trial } : {}) },
      (line) => report('training', line),
    );
    const match = train.modelSha256 === source.artifactSha256;

    report('recording', `retrained model ${short(train.modelSha256)}: ${match ? 'match' : 'mismatch'}`);
    await durable.recordReproduction.executeWithOptions(
      { summary: `Tag ${model} v${version} reproduced: ${match ? 'match' : 'mismatch'}` },
      [{ model, version, at: new Date().toISOString(), match }],
    );
    report(
      match ? 'reproduced' : 'mismatch',
      match
        ? `identical ONNX bytes (sha256 ${train.modelSha256})`
        : `registered ${source.artifactSha256}, retrained ${train.modelSha256}` +
            (source.codeVersion !== lineage.codeVersion
              ? ` (trained by code ${lineage.codeVersion}, reproduced with ${source.codeVersion})`
              : ''),
    );
    return {
      model,
      version,
      match,
      expectedSha256: source.artifactSha256,
      actualSha256: train.modelSha256,
      datasetSha256: data.dataset.sha256,
      specHash: lineage.specHash,
      trainer: lineage.trainer,
      modelUri: train.modelUri,
      recordedCodeVersion: lineage.codeVersion,
      currentCodeVersion: source.codeVersion,
      durationMs: Date.now() - startedMs,
    };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    report('failed', cause instanceof Error ? cause.message : String(cause));
    // A changed dataset fails the reproduction itself with the activity's message (both hashes), not only its cause.
    if (cause instanceof ApplicationFailure && cause.type === DATASET_CHANGED) {
      throw ApplicationFailure.create({
        message: cause.message,
        type: DATASET_CHANGED,
        nonRetryable: true,
        details: cause.details ?? [],
      });
    }
    throw err;
  }
}

/**
 * The spec to retrain with: the stored one, with the dataset pinned to the recorded URI and version. The skew check
 * is turned off: it compares against today's champion, which says nothing about reproducing an older version.
 */
function reproductionSpec(source: ReproductionSource): PipelineSpec {
  const { spec, lineage } = source;
  return {
    ...spec,
    dataset: { ...spec.dataset, uri: lineage.datasetUri, version: lineage.datasetSha256 },
    validation: { ...spec.validation, skew: { ...spec.validation.skew, severity: 'off' } },
  };
}
