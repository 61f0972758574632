import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { AcquireResult } from './model-manager.js';

/** JSON error body of every non-2xx response other than validation errors. */
export interface ErrorBody {
  error: string;
  message: string;
  [detail: string]: unknown;
}

/** Fastify body-parsing error codes and the error name they map to. */
const PARSE_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

/**
 * JSON bodies for framework errors: malformed JSON => 400 `invalid_json`, unsupported content type => 415,
 * too large => 413, unknown route => 404; anything unexpected => 500 (logged, details not leaked).
 */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const name = PARSE_ERRORS[error.code] ?? (error.code === 'FST_ERR_BAD_STATUS_CODE' ? 'internal' : 'bad_request');
      return reply.code(status).send({ error: name, message: error.message } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal server error' } satisfies ErrorBody);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    } satisfies ErrorBody),
  );
}

/** Answers a request for a model that cannot serve: 404 when it is not deployed, 503 when nothing is loaded yet. */
export function sendModelUnavailable(
  reply: FastifyReply,
  model: string,
  found: Exclude<AcquireResult, { status: 'ok' }>,
): FastifyReply {
  switch (found.status) {
    case 'unknown':
      return reply
        .code(404)
        .send({ error: 'model_not_found', message: `model "${model}" is not deployed`, model } satisfies ErrorBody);
    case 'not_ready':
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: 'not_ready', message: 'the replica has not read the registry yet', model } satisfies ErrorBody);
    case 'not_loaded':
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({
          error: 'model_not_loaded',
          message: `model "${model}" v${found.deployedVersion} is deployed but not loaded yet${found.error ? ` (${found.error})` : ''}`,
          model,
          deployedVersion: found.deployedVersion,
          loadError: found.error,
        } satisfies ErrorBody);
  }
}
