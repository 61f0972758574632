import type { FastifyInstance } from 'fastify';
import { sendModelUnavailable } from '../http-errors.js';
import type { ModelStatus } from '../model-manager.js';
import { labelRequest } from '../request-metrics.js';
import type { ModelParams, RouteContext } from './context.js';

/** Body of `GET /v1/models/:model`. */
export interface ModelMetadata {
  model: string;
  /** Version serving requests. */
  version: number;
  /** Version the registry says is deployed (differs from `version` while a new one loads, or if it failed). */
  deployedVersion: number;
  features: unknown;
  label: unknown;
  loadedAt: string;
  deployedAt: string;
  artifactUri: string;
  artifactSha256: string;
  /** Load error of the deployed version, if it failed. */
  loadError: string | null;
}

/** Body of `GET /v1/models`. */
export interface ModelList {
  models: ModelStatus[];
}

/** `GET /v1/models` (every deployed model and the version loaded) and `GET /v1/models/:model` (metadata). */
export function registerModelRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/models', async () => ({ models: ctx.manager.list() }) satisfies ModelList);

  app.get<{ Params: ModelParams }>('/v1/models/:model', async (request, reply) => {
    const { model } = request.params;
    const found = ctx.manager.lookup(model);
    if (found.status !== 'ok') return sendModelUnavailable(reply, model, found);
    const loaded = found.model;
    labelRequest(request, loaded.model, loaded.version);
    const status = ctx.manager.status(model);
    return {
      model: loaded.model,
      version: loaded.version,
      deployedVersion: status?.deployedVersion ?? loaded.version,
      features: loaded.features,
      label: loaded.deployed.label,
      loadedAt: loaded.loadedAt,
      deployedAt: loaded.deployed.deployedAt,
      artifactUri: loaded.deployed.artifactUri,
      artifactSha256: loaded.deployed.artifactSha256,
      loadError: status?.error ?? null,
    } satisfies ModelMetadata;
  });
}
