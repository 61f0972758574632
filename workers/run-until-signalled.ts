import type { Worker } from '@temporalio/worker';

/** Runs the worker until SIGINT/SIGTERM (the SDK shuts it down gracefully), then closes the process's clients. */
export async function runUntilSignalled(worker: Worker, close: () => Promise<void>): Promise<void> {
  try {
    await worker.run();
  } finally {
    await close();
  }
}
