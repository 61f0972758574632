/** Workflow entry points registered by the workers. Deterministic orchestration only. */
export { trainingPipeline } from './training-pipeline.js';
export { retrainingController } from './retraining-controller.js';
export { modelMonitor } from './model-monitor.js';
export { scheduledRetrain } from './scheduled-retrain.js';
export { modelPromotion } from './model-promotion.js';
export { reproduceModel } from './reproduce-model.js';
