import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ControllerStatus, RetrainNowRequest, RetrainNowResult } from './controller.js';
import type { MonitorWindowReport, ModelMonitorState } from './monitoring.js';
import type { ApprovalDecision, TrainingPipelineResult } from './payloads.js';

/** Controller signals: the retraining triggers. */
export const newDataSignal = defineSignal<[{ datasetUri: string; reason?: string }]>('newData');
export const driftDetectedSignal = defineSignal<[{ report: MonitorWindowReport }]>('driftDetected');
export const performanceDroppedSignal = defineSignal<[{ report: MonitorWindowReport }]>('performanceDropped');
export const manualRetrainSignal = defineSignal<[{ reason: string; kind?: 'manual' | 'schedule' }]>('manualRetrain');

/** Controller: start (or queue) a retrain and learn which pipeline carries it. */
export const retrainNowUpdate = defineUpdate<RetrainNowResult, [RetrainNowRequest]>('retrainNow');
/** Controller: current phase, pending triggers, recent decisions. */
export const controllerStatusQuery = defineQuery<ControllerStatus>('status');

/** Pipeline: progress for `mlops run --wait`. */
export interface PipelineProgress {
  stage: string;
  detail: string;
  result: TrainingPipelineResult | null;
}
export const pipelineProgressQuery = defineQuery<PipelineProgress>('progress');

/** Monitor: latest window report and counters. */
export const monitorStatusQuery = defineQuery<{ state: ModelMonitorState; last: MonitorWindowReport | null }>(
  'monitorStatus',
);

/** Pipeline (`deployment.approval.required`): who approves or rejects the candidate, and why. */
export interface ApprovalRequest {
  by: string;
  reason: string;
}
/** Pipeline: approve the candidate awaiting approval (rejected by the validator unless the run is waiting). */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('approve');
/** Pipeline: reject the candidate awaiting approval; the run ends with outcome `rejected`. */
export const rejectUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('reject');
