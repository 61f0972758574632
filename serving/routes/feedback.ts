import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { FeedbackEntry } from '../../lib/registry/types.js';
import { sendModelUnavailable } from '../http-errors.js';
import { describeValue, invalidRequest, toRequestIssues } from '../request-issues.js';
import type { ModelParams, RouteContext } from './context.js';

/** Most feedback entries one request may carry. */
export const MAX_FEEDBACK_PER_REQUEST = 1000;

const feedbackBodySchema = z.strictObject(
  {
    feedback: z
      .array(
        z.strictObject(
          {
            predictionId: z
              .string({
                error: (iss) =>
                  iss.input === undefined
                    ? 'required: the predictionId returned by predict'
                    : `expected a prediction id string, found ${describeValue(iss.input)}`,
              })
              .min(1, { error: 'must not be empty' })
              .max(200, { error: 'too long (max 200 characters)' }),
            label: z.union([z.string().min(1, { error: 'must not be empty' }), z.number()], {
              error: (iss) =>
                iss.input === undefined
                  ? 'required: the true label (non-empty string or number)'
                  : `expected the true label (non-empty string or number), found ${describeValue(iss.input)}`,
            }),
          },
          {
            error: (iss) =>
              iss.code === 'invalid_type'
                ? `expected {predictionId, label}, found ${describeValue(iss.input)}`
                : undefined,
          },
        ),
        { error: (iss) => `expected an array of {predictionId, label}, found ${describeValue(iss.input)}` },
      )
      .min(1, { error: 'expected 1 to 1000 entries, found 0' })
      .max(MAX_FEEDBACK_PER_REQUEST, {
        error: (iss) =>
          `expected at most ${MAX_FEEDBACK_PER_REQUEST} entries, found ${(iss.input as unknown[]).length}`,
      }),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `expected a JSON object with "feedback", found ${describeValue(iss.input)}`
        : undefined,
  },
);

/**
 * `POST /v1/models/:model/feedback` with `{ feedback: [{ predictionId, label }] }`: stores ground-truth labels in the
 * registry (joined with the prediction log by monitoring) and answers 202. 503 when the registry is unreachable.
 */
export function registerFeedbackRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Params: ModelParams }>('/v1/models/:model/feedback', async (request, reply) => {
    const { model } = request.params;
    const found = ctx.manager.lookup(model);
    if (found.status === 'unknown' || found.status === 'not_ready') return sendModelUnavailable(reply, model, found);
    const parsed = feedbackBodySchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidRequest(toRequestIssues(parsed.error.issues)));
    const createdAt = new Date().toISOString();
    const entries: FeedbackEntry[] = parsed.data.feedback.map((f) => ({
      predictionId: f.predictionId,
      model,
      label: f.label,
      createdAt,
    }));
    try {
      await ctx.registry.recordFeedback(entries);
    } catch (error) {
      request.log.warn({ err: error, model, entries: entries.length }, 'recording feedback failed');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: 'registry_unavailable', message: 'could not store feedback right now; retry later' });
    }
    return reply.code(202).send({ accepted: entries.length });
  });
}
