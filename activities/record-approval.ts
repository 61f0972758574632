import type { RecordApprovalInput } from '../contracts/payloads.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/**
 * Records a pipeline run's approval decision (who, why, when, approved / rejected / timed out) in the registry's
 * approvals table. Idempotent on the run ID: a retry leaves the first record (and fills in the version).
 */
export function createRecordApproval(deps: ActivityDeps) {
  return async function recordApproval(input: RecordApprovalInput): Promise<void> {
    return permanentErrorsAreFinal(async () => {
      const { approval } = input;
      await deps.registry.recordApproval({
        runId: input.runId,
        model: input.model,
        version: input.version,
        decision: approval.decision,
        timedOut: approval.timedOut,
        by: approval.by,
        reason: approval.reason,
        decidedAt: approval.decidedAt,
      });
    });
  };
}
