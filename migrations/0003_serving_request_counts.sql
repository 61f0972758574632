-- Up Migration
-- Predict requests per model version, by HTTP status, counted by each serving replica in one-second buckets and
-- written in batches off the request path (the monitor's error rate: 4xx bad requests and 5xx server errors apart).
-- Idempotent on (batch_id, model, version, status, bucket): a retried batch inserts nothing twice.

CREATE TABLE serving_request_counts (
  batch_id   text NOT NULL,
  model      text NOT NULL,
  version    integer NOT NULL,
  status     integer NOT NULL CHECK (status BETWEEN 100 AND 599),
  bucket     timestamptz NOT NULL,
  requests   integer NOT NULL CHECK (requests > 0),
  PRIMARY KEY (batch_id, model, version, status, bucket)
);
CREATE INDEX serving_request_counts_model_time_idx ON serving_request_counts (model, bucket);

-- Down Migration
DROP TABLE serving_request_counts;
