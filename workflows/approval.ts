import { condition, setHandler } from '@temporalio/workflow';
import { z } from 'zod';
import { approveUpdate, rejectUpdate, type ApprovalRequest } from '../contracts/messages.js';
import type { ApprovalDecision } from '../contracts/payloads.js';

/** Who decides and why: `by` must name someone; both are kept short enough for history and the registry. */
const approvalRequestSchema = z.strictObject({
  by: z
    .string({ error: 'by: expected the name of who decides' })
    .trim()
    .min(1, { error: 'by: must not be empty' })
    .max(200, { error: 'by: too long (max 200 characters)' }),
  reason: z
    .string({ error: 'reason: expected a string' })
    .trim()
    .min(1, { error: 'reason: must not be empty' })
    .max(2000, { error: 'reason: too long (max 2000 characters)' }),
});

/**
 * The human approval step of the training pipeline (`deployment.approval`): the `approve` and `reject` updates
 * (validated: only while the run is waiting, with a non-empty `by` and `reason`) and the wait for one of them with
 * the spec's timeout, after which `onTimeout` decides. The first decision wins.
 */
export class ApprovalGate {
  private waiting = false;
  private decision: ApprovalDecision | null = null;

  /** Registers the update handlers (no commands: safe in every run, also when replaying old histories). */
  install(): void {
    const handler =
      (decision: ApprovalDecision['decision']) =>
      (request: ApprovalRequest): ApprovalDecision => {
        const { by, reason } = approvalRequestSchema.parse(request);
        this.decision ??= { decision, by, reason, decidedAt: new Date().toISOString(), timedOut: false };
        return this.decision;
      };
    const validator = (request: ApprovalRequest): void => {
      if (!this.waiting) {
        throw new Error(
          this.decision
            ? `already decided: ${this.decision.decision} by ${this.decision.by}`
            : 'this pipeline run is not awaiting approval',
        );
      }
      const parsed = approvalRequestSchema.safeParse(request);
      if (!parsed.success) throw new Error(`invalid approval: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    };
    setHandler(approveUpdate, handler('approved'), {
      validator,
      description: 'Approve the candidate awaiting approval: { by, reason }',
    });
    setHandler(rejectUpdate, handler('rejected'), {
      validator,
      description: 'Reject the candidate awaiting approval: { by, reason }',
    });
  }

  /** Waits for `approve` or `reject`; after `timeout` (`timeoutText` for people) `onTimeout` decides. */
  async wait(timeoutMs: number, timeoutText: string, onTimeout: 'approve' | 'reject'): Promise<ApprovalDecision> {
    this.waiting = true;
    try {
      await condition(() => this.decision !== null, timeoutMs);
    } finally {
      this.waiting = false;
    }
    this.decision ??= {
      decision: onTimeout === 'approve' ? 'approved' : 'rejected',
      by: 'timeout',
      reason: `approval timed out after ${timeoutText} (onTimeout: ${onTimeout})`,
      decidedAt: new Date().toISOString(),
      timedOut: true,
    };
    return this.decision;
  }
}
