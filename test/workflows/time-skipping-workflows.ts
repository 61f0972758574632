/** Workflows bundled for the time-skipping monitor test: the real monitor plus a sink recording which window signalled. */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import { driftDetectedSignal, performanceDroppedSignal } from '../../contracts/messages.js';

export { modelMonitor } from '../../workflows/model-monitor.js';

/** Signals received, as `<kind>:v<version>@<report summary>`. */
export const signalsQuery = defineQuery<string[]>('signals');

/** Stands in for `retrainingController`: records each trigger signal with the version and the report's summary. */
export async function windowSignalSink(): Promise<void> {
  const received: string[] = [];
  setHandler(driftDetectedSignal, ({ report }) => void received.push(`drift:v${report.version}@${report.summary}`));
  setHandler(
    performanceDroppedSignal,
    ({ report }) => void received.push(`performance:v${report.version}@${report.summary}`),
  );
  setHandler(signalsQuery, () => received);
  await condition(() => false);
}
