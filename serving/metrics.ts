import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Label values of a request: model/version are `''` when the request did not resolve to a loaded model. */
export interface RequestLabels {
  method: string;
  route: string;
  status: string;
  model: string;
  version: string;
}

/**
 * The Prometheus metrics of one serving app, on their own registry (so several apps can live in one process, as in
 * tests). Model names only ever come from the registry, never from the URL, to keep label cardinality bounded.
 */
export interface ServingMetrics {
  readonly registry: Registry;
  readonly requests: Counter<keyof RequestLabels>;
  readonly requestDuration: Histogram<keyof RequestLabels>;
  readonly predictions: Counter<'model' | 'version'>;
  readonly predictionLogDropped: Counter;
  readonly predictionLogFlushFailures: Counter;
  readonly modelLoadFailures: Counter<'model'>;
  readonly modelLoads: Counter<'model'>;
  readonly loadedVersion: Gauge<'model'>;
  readonly registryPollFailures: Counter;
}

/** Creates the serving metrics; `bufferSize` is sampled at scrape time for the prediction log buffer gauge. */
export function createServingMetrics(options: { bufferSize: () => number; defaultMetrics?: boolean }): ServingMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status', 'model', 'version'] as const;
  const metrics: ServingMetrics = {
    registry,
    requests: new Counter({
      name: 'mlops_serving_requests_total',
      help: 'HTTP requests by route, status, and the model/version that served them.',
      labelNames,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'mlops_serving_request_duration_seconds',
      help: 'HTTP request latency by route, status, and the model/version that served them.',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    predictions: new Counter({
      name: 'mlops_serving_predictions_total',
      help: 'Records scored, by model and version.',
      labelNames: ['model', 'version'],
      registers: [registry],
    }),
    predictionLogDropped: new Counter({
      name: 'mlops_serving_prediction_log_dropped_total',
      help: 'Prediction log entries dropped because the buffer was full (registry unavailable) or at shutdown.',
      registers: [registry],
    }),
    predictionLogFlushFailures: new Counter({
      name: 'mlops_serving_prediction_log_flush_failures_total',
      help: 'Failed attempts to write a batch of prediction log entries to the registry.',
      registers: [registry],
    }),
    modelLoadFailures: new Counter({
      name: 'mlops_serving_model_load_failures_total',
      help: 'Failed attempts to download, verify or load a deployed model version.',
      labelNames: ['model'],
      registers: [registry],
    }),
    modelLoads: new Counter({
      name: 'mlops_serving_model_loads_total',
      help: 'Model versions loaded and swapped in.',
      labelNames: ['model'],
      registers: [registry],
    }),
    loadedVersion: new Gauge({
      name: 'mlops_serving_loaded_model_version',
      help: 'Version of each model currently serving.',
      labelNames: ['model'],
      registers: [registry],
    }),
    registryPollFailures: new Counter({
      name: 'mlops_serving_registry_poll_failures_total',
      help: 'Failed polls of the registry for deployed models.',
      registers: [registry],
    }),
  };
  new Gauge({
    name: 'mlops_serving_prediction_log_buffered',
    help: 'Prediction log entries waiting to be written to the registry.',
    registers: [registry],
    collect() {
      this.set(options.bufferSize());
    },
  });
  return metrics;
}
