import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

/**
 * `GET /healthz` (the process is up), `GET /readyz` (503 until the registry was read and every deployed model has a
 * version loaded; the body lists what is missing) and `GET /metrics` (Prometheus text).
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const readiness = ctx.manager.readiness();
    let reason: string | null = null;
    if (!readiness.polled) {
      reason = readiness.lastPollError
        ? `registry not reachable yet: ${readiness.lastPollError}`
        : 'registry not read yet';
    } else if (readiness.missing.length > 0) {
      reason = `models not loaded: ${readiness.missing.map((m) => `${m.model} v${m.deployedVersion}`).join(', ')}`;
    }
    return reply.code(readiness.ready ? 200 : 503).send({ ...readiness, reason });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.header('content-type', ctx.metrics.registry.contentType).send(body);
  });
}
