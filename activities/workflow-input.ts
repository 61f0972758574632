import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { AlertOrigin } from '../lib/alerts/notifier.js';
import type { ActivityDeps } from './deps.js';

/**
 * The input of the workflow run `origin`: the first event of its history, decoded by the client's data converter.
 * Lets an activity read what its workflow was started with (e.g. its spec's `alerts`) without changing the workflow.
 */
export async function workflowInputOf(deps: ActivityDeps, origin: AlertOrigin): Promise<unknown> {
  const res = await deps.temporal.workflowService.getWorkflowExecutionHistory({
    namespace: origin.namespace,
    execution: { workflowId: origin.workflowId, runId: origin.runId },
    maximumPageSize: 1,
  });
  const payloads = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  const [input] = await decodeArrayFromPayloads(deps.temporal.options.loadedDataConverter, payloads);
  return input;
}
