import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * `deployment.infraValidation`: before a promoted candidate is registered or deployed, start a separate serving
 * process that loads exactly that artifact and send it sample requests built from holdout rows (like TFX's
 * InfraValidator). Enabled by default (see {@link resolveDeployment}).
 */
export const infraValidationSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Sample predict requests (one holdout row each) that must all answer 200 with a well-formed prediction. */
  requests: z.number().int().min(1).max(1000).default(20),
  /** Longest the whole check (process start, model load, requests) may take. */
  timeout: durationSchema.default('60s'),
});

/**
 * `deployment.approval`: a human approves (or rejects) a candidate that passed evaluation (and infra validation)
 * before it is deployed, through the pipeline's `approve` / `reject` updates (`mlops approve|reject`). Without a
 * decision within `timeout`, `onTimeout` applies.
 */
export const approvalSchema = z.strictObject({
  required: z.boolean().default(false),
  timeout: durationSchema.default('24h'),
  onTimeout: z.enum(['reject', 'approve']).default('reject'),
});

/**
 * The spec's `deployment` section. `infraValidation` and `approval` were added after the first release and have no
 * schema default (their defaults are applied by {@link resolveDeployment}), so existing specs validate to the same
 * value and spec hash.
 */
export const deploymentSchema = z.strictObject({
  strategy: z.enum(['replace']).default('replace'),
  /** How long the deploy waits for serving replicas to report the new version loaded. */
  readyTimeout: durationSchema.default('60s'),
  infraValidation: infraValidationSchema.optional(),
  approval: approvalSchema.optional(),
});

export type DeploymentSpec = z.output<typeof deploymentSchema>;
export type InfraValidationSpec = z.output<typeof infraValidationSchema>;
export type ApprovalSpec = z.output<typeof approvalSchema>;

/** The deployment gates with every default applied. */
export interface ResolvedDeploymentGates {
  infraValidation: InfraValidationSpec;
  approval: ApprovalSpec;
}

/**
 * Applies the defaults of `infraValidation` and `approval`, also to a section validated before they existed (a spec
 * in the history of a running workflow). Plain code, no parsing: safe in workflow code.
 */
export function resolveDeployment(deployment: {
  infraValidation?: Partial<InfraValidationSpec> | undefined;
  approval?: Partial<ApprovalSpec> | undefined;
}): ResolvedDeploymentGates {
  const iv = deployment.infraValidation ?? {};
  const ap = deployment.approval ?? {};
  return {
    infraValidation: {
      enabled: iv.enabled ?? true,
      requests: iv.requests ?? 20,
      timeout: iv.timeout ?? '60s',
    },
    approval: {
      required: ap.required ?? false,
      timeout: ap.timeout ?? '24h',
      onTimeout: ap.onTimeout ?? 'reject',
    },
  };
}
