import { Context } from '@temporalio/activity';
import type { EvaluateModelInput, EvaluateModelResult } from '../contracts/payloads.js';
import { readDataset } from '../lib/data/read-dataset.js';
import type { FeatureTable } from '../lib/data/table.js';
import { decidePromotion, type PromotionCheck } from '../lib/eval/compare.js';
import { ModelFormatError } from '../lib/eval/errors.js';
import { checkModelMatchesFeatures, loadOnnxModel } from '../lib/eval/onnx-model.js';
import { type SliceMetrics, sliceMetrics } from '../lib/eval/slices.js';
import { evaluateTask, type TaskEvaluation } from '../lib/eval/task-metrics.js';
import { type EvaluationSlicesSpec, resolveEvaluation } from '../lib/spec/evaluation-spec.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import { predictionProfile } from '../lib/stats/prediction-drift.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/** A model's metrics on the holdout: overall (with multiclass details) and per slice. */
interface Scored extends TaskEvaluation {
  slices: SliceMetrics[];
  /** The model's output per holdout row (the number serving logs as the score). */
  scores: Float32Array;
}

async function scoreModel(
  deps: ActivityDeps,
  spec: PipelineSpec,
  uri: string,
  sha256: string,
  holdout: FeatureTable,
  slices: EvaluationSlicesSpec | null,
): Promise<Scored> {
  const model = await loadOnnxModel(await deps.artifacts.get(uri, sha256));
  try {
    checkModelMatchesFeatures(model, spec.features);
    if (model.label.task !== spec.label.task)
      throw new ModelFormatError(
        `the model predicts a ${model.label.task} label; the spec's task is ${spec.label.task}`,
      );
    const labels = holdout.label ?? new Array<string | null>(holdout.rowCount).fill(null);
    const predictions = await model.predictTable(holdout);
    const input = {
      task: spec.label.task,
      predictions,
      labels,
      positive: spec.label.positive,
      classes: model.label.classes,
      labelName: spec.label.name,
    };
    const overall = { ...evaluateTask(input), scores: predictions.scores };
    if (slices === null) return { ...overall, slices: [] };
    const labelled = labels.flatMap((v, r) => (v === null ? [] : [r]));
    const options = { features: slices.features, minRows: slices.minRows, rows: labelled };
    return { ...overall, slices: sliceMetrics(holdout, options, (rows) => evaluateTask(input, rows).metrics) };
  } finally {
    await model.close();
  }
}

/** The checks worth carrying in the workflow's history: all but the passing or reported-only slice checks. */
function compactChecks(checks: readonly PromotionCheck[]): PromotionCheck[] {
  return checks.filter((c) => c.kind !== 'slice_regression' || (c.gated && c.passed === false));
}

/**
 * Evaluates the candidate with onnxruntime on the holdout and, on the same holdout, the current champion, by the
 * spec's task (binary, multiclass or regression metrics) and, when `evaluation.slices` is set, per slice of the
 * named categorical features; then decides promotion by the spec's floor, absolute and relative improvement, and
 * (with `slices.gate`) no regression on any slice. The decision with every check, the slice metrics and the
 * multiclass per-class metrics are stored as an artifact. A corrupt candidate, one whose inputs do not match the
 * spec or one of another task fails non-retryably.
 */
export function createEvaluateModel(deps: ActivityDeps) {
  return async function evaluateModel(input: EvaluateModelInput): Promise<EvaluateModelResult> {
    return permanentErrorsAreFinal(async () => {
      const { spec, runId } = input;
      const evaluation = resolveEvaluation(spec.evaluation);
      const bytes = await deps.artifacts.get(input.holdoutUri);
      const { table: holdout } = readDataset(bytes, {
        format: 'csv',
        features: spec.features,
        labelName: spec.label.name,
        source: input.holdoutUri,
      });
      const candidate = await scoreModel(deps, spec, input.modelUri, input.modelSha256, holdout, evaluation.slices);
      Context.current().heartbeat('candidate scored');

      let champion: (Scored & { version: number }) | null = null;
      const current = await deps.registry.getVersionByAlias(spec.model, 'champion');
      if (current) {
        try {
          const scored = await scoreModel(
            deps,
            spec,
            current.artifactUri,
            current.artifactSha256,
            holdout,
            evaluation.slices,
          );
          champion = { version: current.version, ...scored };
        } catch (err) {
          // A champion that cannot score this holdout (e.g. the feature schema changed) is no obstacle to promotion.
          Context.current().log.warn('champion could not be scored on this holdout', { error: (err as Error).message });
        }
      }
      const slices = evaluation.slices;
      const decision = decidePromotion({
        primaryMetric: evaluation.primaryMetric,
        minimum: evaluation.minimum,
        minImprovement: evaluation.minImprovement,
        minRelativeImprovement: evaluation.minRelativeImprovement,
        candidate: candidate.metrics,
        champion: champion && { version: champion.version, metrics: champion.metrics },
        ...(slices?.gate === true && {
          slices: {
            maxRegression: slices.maxRegression,
            candidate: candidate.slices,
            champion: champion?.slices ?? null,
          },
        }),
      });
      const details = (s: Scored): Omit<TaskEvaluation, 'metrics'> => ({
        ...(s.perClass && { perClass: s.perClass }),
        ...(s.confusion && { confusion: s.confusion }),
      });
      const artifact = {
        holdoutUri: input.holdoutUri,
        holdoutRows: holdout.rowCount,
        task: spec.label.task,
        evaluation,
        candidate: candidate.metrics,
        candidateDetails: details(candidate),
        champion: champion && { version: champion.version, metrics: champion.metrics },
        championDetails: champion && details(champion),
        slices: slices && { ...slices, candidate: candidate.slices, champion: champion?.slices ?? null },
        decision,
        // The reference of prediction drift in monitoring: the candidate's outputs on this holdout.
        predictionProfile: predictionProfile(candidate.scores),
      };
      const ref = await deps.artifacts.put(
        `models/${spec.model}/runs/${runId}/evaluation.json`,
        JSON.stringify(artifact, null, 2),
        { contentType: 'application/json' },
      );
      return {
        metrics: candidate.metrics,
        champion: artifact.champion,
        promote: decision.promote,
        reasons: decision.reasons,
        decisionUri: ref.uri,
        checks: compactChecks(decision.evidence.checks),
      };
    });
  };
}
