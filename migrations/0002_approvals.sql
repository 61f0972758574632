-- Up Migration
-- Human approvals of candidates (`deployment.approval`): one decision per pipeline run, with the version the run
-- registered (null until then). `timed_out`: nobody decided within the spec's timeout and `onTimeout` applied.

CREATE TABLE approvals (
  run_id       text PRIMARY KEY,
  model        text NOT NULL,
  version      integer,
  decision     text NOT NULL CHECK (decision IN ('approved', 'rejected')),
  timed_out    boolean NOT NULL DEFAULT false,
  decided_by   text NOT NULL CHECK (decided_by <> ''),
  reason       text NOT NULL,
  decided_at   timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);
CREATE INDEX approvals_model_idx ON approvals (model, decided_at);

-- Down Migration
DROP TABLE approvals;
