import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import type { PredictionLogEntry } from '../../lib/registry/types.js';
import { parsePredictBody } from '../feature-schema.js';
import { servedPredictions, type ServedPrediction } from '../prediction-response.js';
import { sendModelUnavailable } from '../http-errors.js';
import { attributeFailedRequest, labelRequest } from '../request-metrics.js';
import { invalidRequest } from '../request-issues.js';
import type { ModelParams, RouteContext } from './context.js';

/**
 * One scored record in a predict response: `label` and `score` for every task, plus `probabilities` (multiclass) or
 * `value` (regression); see {@link ServedPrediction}.
 */
export interface Prediction extends ServedPrediction {
  /** Send this id back with the ground-truth label to `POST /v1/models/:model/feedback`. */
  predictionId: string;
}

/** Body of a successful predict response. */
export interface PredictResponse {
  model: string;
  version: number;
  predictions: Prediction[];
}

/**
 * `POST /v1/models/:model/predict` with `{ records: [...] }` (1..1000): validates every record against the serving
 * version's feature schema, scores them on that version (pinned for the whole request, even if a new version is
 * swapped in meanwhile) and logs every prediction.
 */
export function registerPredictRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Params: ModelParams }>('/v1/models/:model/predict', async (request, reply) => {
    const started = performance.now();
    const found = ctx.manager.acquire(request.params.model);
    if (found.status !== 'ok') {
      if (found.status === 'not_loaded') attributeFailedRequest(request, request.params.model, found.deployedVersion);
      return sendModelUnavailable(reply, request.params.model, found);
    }
    const loaded = found.model;
    try {
      labelRequest(request, loaded.model, loaded.version);
      const parsed = parsePredictBody(request.body, loaded.recordSchema);
      if (!parsed.ok) return await reply.code(400).send(invalidRequest(parsed.issues));
      const served = servedPredictions(
        await loaded.session.predictRecords(parsed.records),
        loaded.session.label,
        parsed.records.length,
      );
      const latencyMs = performance.now() - started;
      const createdAt = new Date().toISOString();
      const predictions: Prediction[] = [];
      const entries: PredictionLogEntry[] = [];
      parsed.records.forEach((features, i) => {
        const prediction: Prediction = { predictionId: randomUUID(), ...served[i]! };
        predictions.push(prediction);
        entries.push({
          predictionId: prediction.predictionId,
          model: loaded.model,
          version: loaded.version,
          features,
          // Regression predictions are logged as numbers, class predictions as their label value.
          prediction: prediction.value ?? prediction.label,
          score: prediction.score,
          latencyMs,
          createdAt,
        });
      });
      ctx.predictionLog.log(entries);
      ctx.metrics.predictions.inc({ model: loaded.model, version: String(loaded.version) }, predictions.length);
      return { model: loaded.model, version: loaded.version, predictions } satisfies PredictResponse;
    } finally {
      loaded.release();
    }
  });
}
