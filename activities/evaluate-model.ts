import { Context } from '@temporalio/activity';
import type { EvaluateModelInput, EvaluateModelResult } from '../contracts/payloads.js';
import { readDataset } from '../lib/data/read-dataset.js';
import type { FeatureTable } from '../lib/data/table.js';
import { decidePromotion } from '../lib/eval/compare.js';
import { binaryMetricsForLabels } from '../lib/eval/metrics.js';
import { checkModelMatchesFeatures, loadOnnxModel } from '../lib/eval/onnx-model.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

async function scoreModel(
  deps: ActivityDeps,
  spec: PipelineSpec,
  uri: string,
  sha256: string,
  holdout: FeatureTable,
): Promise<Record<string, number>> {
  const model = await loadOnnxModel(await deps.artifacts.get(uri, sha256));
  try {
    checkModelMatchesFeatures(model, spec.features);
    const { scores } = await model.predictTable(holdout);
    return { ...binaryMetricsForLabels(scores, holdout.label ?? [], spec.label.positive) };
  } finally {
    await model.close();
  }
}

/**
 * Evaluates the candidate with onnxruntime on the holdout and, on the same holdout, the current champion; then
 * decides promotion by the spec's floor and required improvement. The decision and its evidence are stored as an
 * artifact. A corrupt candidate or one whose inputs do not match the spec fails non-retryably.
 */
export function createEvaluateModel(deps: ActivityDeps) {
  return async function evaluateModel(input: EvaluateModelInput): Promise<EvaluateModelResult> {
    return permanentErrorsAreFinal(async () => {
      const { spec, runId } = input;
      const bytes = await deps.artifacts.get(input.holdoutUri);
      const { table: holdout } = readDataset(bytes, {
        format: 'csv',
        features: spec.features,
        labelName: spec.label.name,
        source: input.holdoutUri,
      });
      const metrics = await scoreModel(deps, spec, input.modelUri, input.modelSha256, holdout);
      Context.current().heartbeat('candidate scored');

      let champion: EvaluateModelResult['champion'] = null;
      const current = await deps.registry.getVersionByAlias(spec.model, 'champion');
      if (current) {
        try {
          champion = {
            version: current.version,
            metrics: await scoreModel(deps, spec, current.artifactUri, current.artifactSha256, holdout),
          };
        } catch (err) {
          // A champion that cannot score this holdout (e.g. the feature schema changed) is no obstacle to promotion.
          Context.current().log.warn('champion could not be scored on this holdout', { error: (err as Error).message });
        }
      }
      const decision = decidePromotion({
        primaryMetric: spec.evaluation.primaryMetric,
        minimum: spec.evaluation.minimum,
        minImprovement: spec.evaluation.minImprovement,
        candidate: metrics,
        champion,
      });
      const ref = await deps.artifacts.put(
        `models/${spec.model}/runs/${runId}/evaluation.json`,
        JSON.stringify(
          { holdoutUri: input.holdoutUri, holdoutRows: holdout.rowCount, candidate: metrics, champion, decision },
          null,
          2,
        ),
        { contentType: 'application/json' },
      );
      return { metrics, champion, promote: decision.promote, reasons: decision.reasons, decisionUri: ref.uri };
    });
  };
}
