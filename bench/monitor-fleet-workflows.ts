/** Workflows of bench/monitor-fleet.ts: the real monitor and a controller stand-in that takes its signals. */
import { condition, setHandler } from '@temporalio/workflow';
import { driftDetectedSignal, performanceDroppedSignal } from '../contracts/messages.js';

export { modelMonitor } from '../workflows/model-monitor.js';

/** Stands in for `retrainingController`: accepts trigger signals and runs until terminated. */
export async function fleetController(): Promise<void> {
  let received = 0;
  setHandler(driftDetectedSignal, () => void received++);
  setHandler(performanceDroppedSignal, () => void received++);
  await condition(() => received < 0);
}
