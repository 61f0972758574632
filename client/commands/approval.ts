import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { approveUpdate, rejectUpdate } from '../../contracts/messages.js';
import { MODEL_KEY, STAGE_KEY } from '../../contracts/search-attributes.js';
import { UsageError } from '../errors.js';
import { workflowLink } from '../stack-settings.js';
import { withClient } from './with-client.js';

const print = (line: string): void => console.log(line);
/** A model name as the spec allows it. */
const MODEL_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
/** The `MlopsStage` of a pipeline waiting for `approve` / `reject`. */
export const AWAITING_APPROVAL = 'awaiting_approval';

/** The innermost message of a failure chain. */
function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * The training pipeline `target` names: a workflow ID, or else a model name whose one pipeline awaiting approval is
 * found by a visibility query (`MlopsModel` and `MlopsStage="awaiting_approval"`, running).
 */
export async function findPipelineAwaitingApproval(client: Client, target: string): Promise<string> {
  try {
    const described = await client.workflow.getHandle(target).describe();
    if (described.type !== 'trainingPipeline')
      throw new UsageError(`${target} is a ${described.type} workflow, not a training pipeline`, 1);
    return target;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (!MODEL_NAME.test(target)) throw new UsageError(`no workflow "${target}" (and it is not a model name)`, 1);
  const query =
    `${MODEL_KEY.name} = "${target}" AND ${STAGE_KEY.name} = "${AWAITING_APPROVAL}" ` +
    `AND ExecutionStatus = "Running" AND WorkflowType = "trainingPipeline"`;
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  if (ids.length === 0) throw new UsageError(`no pipeline of model "${target}" is awaiting approval`, 1);
  if (ids.length > 1)
    throw new UsageError(`${ids.length} pipelines of "${target}" await approval: ${ids.join(', ')}; name one`, 1);
  return ids[0]!;
}

/** `mlops approve|reject <workflowId|model> --by NAME --reason TEXT` */
export async function approvalCommand(
  action: 'approve' | 'reject',
  target: string,
  opts: { by: string; reason: string },
): Promise<void> {
  const by = opts.by.trim();
  const reason = opts.reason.trim();
  if (by === '') throw new UsageError('--by: expected the name of who decides, found an empty string');
  if (reason === '') throw new UsageError('--reason: expected why, found an empty string');
  await withClient(async ({ client, settings }) => {
    const workflowId = await findPipelineAwaitingApproval(client, target);
    try {
      const decision = await client.workflow
        .getHandle(workflowId)
        .executeUpdate(action === 'approve' ? approveUpdate : rejectUpdate, { args: [{ by, reason }] });
      print(`${workflowId}: ${decision.decision} by ${decision.by} at ${decision.decidedAt}: ${decision.reason}`);
      print(`  ${workflowLink(settings, workflowId)}`);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new UsageError(`${workflowId}: ${action} refused: ${rootMessage(err)}`, 1);
      throw err;
    }
  });
}
