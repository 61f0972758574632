-- Up Migration
-- Model registry and metadata store. Run by node-pg-migrate (table mlops_migrations), in one transaction.
-- Timestamps are timestamptz truncated to milliseconds so that they round-trip exactly through JavaScript Dates
-- (ISO strings) — `deploymentAt(T)` with a `deployedAt` read back must find that very deployment.

CREATE TABLE models (
  name        text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE model_versions (
  model            text NOT NULL REFERENCES models (name),
  version          integer NOT NULL CHECK (version > 0),
  -- Workflow ID of the producing pipeline run: the idempotency key of registration.
  run_id           text NOT NULL UNIQUE,
  artifact_uri     text NOT NULL,
  artifact_sha256  text NOT NULL,
  metrics          jsonb NOT NULL,
  -- datasetUri, datasetSha256, datasetRows, schemaFingerprint, profileUri, specHash, codeVersion, trainer,
  -- hyperparameters, parentVersion
  lineage          jsonb NOT NULL,
  spec             jsonb,
  decision         jsonb,
  trigger          text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (model, version)
);
CREATE INDEX model_versions_dataset_idx ON model_versions ((lineage ->> 'datasetSha256'));

CREATE TABLE aliases (
  model       text NOT NULL,
  alias       text NOT NULL,
  version     integer NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE tags (
  model    text NOT NULL,
  version  integer NOT NULL,
  key      text NOT NULL,
  value    text NOT NULL,
  PRIMARY KEY (model, version, key),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

-- Deployment history: [deployed_at, replaced_at) is when the version served; at most one open row per model.
CREATE TABLE deployments (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model        text NOT NULL,
  version      integer NOT NULL,
  run_id       text NOT NULL UNIQUE,
  deployed_at  timestamptz NOT NULL,
  replaced_at  timestamptz,
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version),
  CHECK (replaced_at IS NULL OR replaced_at >= deployed_at)
);
CREATE INDEX deployments_model_time_idx ON deployments (model, deployed_at);
CREATE UNIQUE INDEX deployments_one_current_idx ON deployments (model) WHERE replaced_at IS NULL;

-- Level 1 metadata store: pipeline runs and per-stage timings.
CREATE TABLE pipeline_runs (
  run_id       text PRIMARY KEY,
  model        text NOT NULL,
  trigger      text NOT NULL,
  spec_hash    text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  finished_at  timestamptz,
  outcome      text,
  version      integer,
  error        text
);
CREATE INDEX pipeline_runs_model_idx ON pipeline_runs (model, started_at);

CREATE TABLE pipeline_stages (
  run_id       text NOT NULL,
  stage        text NOT NULL,
  status       text NOT NULL CHECK (status IN ('started', 'completed', 'failed', 'skipped')),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  details      jsonb,
  PRIMARY KEY (run_id, stage)
);

-- Serving: batched prediction log and ground-truth feedback (feedback may arrive before its prediction is logged,
-- so there is no foreign key; they are joined at read time).
CREATE TABLE prediction_log (
  prediction_id  text PRIMARY KEY,
  model          text NOT NULL,
  version        integer NOT NULL,
  features       jsonb NOT NULL,
  prediction     jsonb NOT NULL,
  score          double precision,
  latency_ms     double precision NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE INDEX prediction_log_model_time_idx ON prediction_log (model, created_at);

CREATE TABLE feedback (
  prediction_id  text PRIMARY KEY,
  model          text NOT NULL,
  label          jsonb NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE INDEX feedback_model_time_idx ON feedback (model, created_at);

CREATE TABLE serving_replicas (
  replica_id    text NOT NULL,
  model         text NOT NULL,
  url           text NOT NULL,
  version       integer,
  loaded_at     timestamptz,
  heartbeat_at  timestamptz NOT NULL,
  error         text,
  PRIMARY KEY (replica_id, model)
);
CREATE INDEX serving_replicas_model_idx ON serving_replicas (model, heartbeat_at);

CREATE TABLE monitor_reports (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model         text NOT NULL,
  version       integer NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  status        text NOT NULL,
  report        jsonb,
  created_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  UNIQUE (model, version, window_start, window_end)
);

CREATE TABLE retrain_decisions (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model        text NOT NULL,
  trigger      text NOT NULL,
  decision     text NOT NULL,
  pipeline_id  text,
  details      jsonb,
  created_at   timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
);
CREATE INDEX retrain_decisions_model_idx ON retrain_decisions (model, created_at);
-- A decision that started a pipeline is keyed by that pipeline's workflow ID (retries append nothing).
CREATE UNIQUE INDEX retrain_decisions_pipeline_idx ON retrain_decisions (pipeline_id) WHERE pipeline_id IS NOT NULL;

-- Down Migration
DROP TABLE retrain_decisions;
DROP TABLE monitor_reports;
DROP TABLE serving_replicas;
DROP TABLE feedback;
DROP TABLE prediction_log;
DROP TABLE pipeline_stages;
DROP TABLE pipeline_runs;
DROP TABLE deployments;
DROP TABLE tags;
DROP TABLE aliases;
DROP TABLE model_versions;
DROP TABLE models;
