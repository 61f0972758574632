import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Whether an `Authorization` header carries `Bearer <token>`, compared in constant time. */
export function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(match[1]), digest(token));
}

/**
 * `POST /admin/reload`: polls the registry now (retrying failed loads at once) and answers with the readiness after
 * it. Requires `Authorization: Bearer <adminToken>` (401 otherwise). Registered only when a token is configured, so
 * without one it is a 404. The token is never logged.
 */
export function registerAdminRoutes(app: FastifyInstance, ctx: RouteContext, adminToken: string): void {
  app.post(
    '/admin/reload',
    {
      // Authenticate before the body is even parsed.
      onRequest: async (request, reply) => {
        if (isAuthorized(request.headers.authorization, adminToken)) return;
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="mlops-serving"')
          .send({ error: 'unauthorized', message: 'missing or wrong bearer token' });
      },
    },
    async (request) => {
      request.log.info({}, 'reload requested');
      const readiness = await ctx.manager.poll({ force: true });
      return { reloaded: true, ...readiness };
    },
  );
}
