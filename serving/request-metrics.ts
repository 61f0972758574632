import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestLabels, ServingMetrics } from './metrics.js';

const servedBy = new WeakMap<FastifyRequest, { model: string; version: string }>();

/** Records which model version served a request, so its metrics carry `model`/`version` labels. */
export function labelRequest(request: FastifyRequest, model: string, version: number): void {
  servedBy.set(request, { model, version: String(version) });
}

/**
 * Counts every response and observes its latency, labelled by route pattern (never the raw URL), status and the
 * model version set with {@link labelRequest} (empty when the request was not served by a model).
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: ServingMetrics): void {
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
  });
}
