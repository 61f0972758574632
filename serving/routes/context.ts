import type { ModelRegistry } from '../../lib/registry/model-registry.js';
import type { ServingMetrics } from '../metrics.js';
import type { ModelManager } from '../model-manager.js';
import type { PredictionLogger } from '../prediction-logger.js';

/** What the route modules share. */
export interface RouteContext {
  manager: ModelManager;
  predictionLog: PredictionLogger;
  registry: Pick<ModelRegistry, 'recordFeedback'>;
  metrics: ServingMetrics;
}

/** Path parameters of the per-model routes. */
export interface ModelParams {
  model: string;
}
