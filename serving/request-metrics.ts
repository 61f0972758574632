import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestLabels, ServingMetrics } from './metrics.js';
import type { RequestCounter } from './request-counter.js';

const servedBy = new WeakMap<FastifyRequest, { model: string; version: string }>();
const failedFor = new WeakMap<FastifyRequest, { model: string; version: number }>();

/** Route whose responses count toward the monitor's error rate. */
const PREDICT_ROUTE = '/v1/models/:model/predict';

/** Records which model version served a request, so its metrics carry `model`/`version` labels. */
export function labelRequest(request: FastifyRequest, model: string, version: number): void {
  servedBy.set(request, { model, version: String(version) });
}

/**
 * Attributes a predict request that no loaded version served (the deployed version could not be loaded) to the
 * deployed version, for the monitor's error rate only (its Prometheus labels stay empty).
 */
export function attributeFailedRequest(request: FastifyRequest, model: string, version: number): void {
  failedFor.set(request, { model, version });
}

/**
 * Counts every response and observes its latency, labelled by route pattern (never the raw URL), status and the
 * model version set with {@link labelRequest} (empty when the request was not served by a model).
 */
export function registerRequestMetrics(
  app: FastifyInstance,
  metrics: ServingMetrics,
  counter: RequestCounter | null = null,
): void {
  app.addHook('onResponse', async (request, reply) => {
    const served = servedBy.get(request);
    const labels: RequestLabels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
      model: served?.model ?? '',
      version: served?.version ?? '',
    };
    metrics.requests.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
    if (counter && labels.route === PREDICT_ROUTE) {
      const owner = served ? { model: served.model, version: Number(served.version) } : failedFor.get(request);
      if (owner) counter.record(owner.model, owner.version, reply.statusCode);
    }
  });
}
