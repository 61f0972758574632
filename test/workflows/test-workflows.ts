/** Workflows bundled for workflow tests: the real monitor plus a controller stand-in that records signals. */
import { condition, setHandler } from '@temporalio/workflow';
import { defineQuery } from '@temporalio/workflow';
import { driftDetectedSignal, performanceDroppedSignal } from '../../contracts/messages.js';

export { modelMonitor } from '../../workflows/model-monitor.js';

export const receivedQuery = defineQuery<string[]>('received');

/** Stands in for `retrainingController`: records which trigger signals arrive, in order. */
export async function signalSink(): Promise<void> {
  const received: string[] = [];
  setHandler(driftDetectedSignal, ({ report }) => void received.push(`drift:v${report.version}`));
  setHandler(performanceDroppedSignal, ({ report }) => void received.push(`performance:v${report.version}`));
  setHandler(receivedQuery, () => received);
  await condition(() => false);
}
