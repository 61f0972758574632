-- Up Migration
-- Every controller decision is kept, each once: started, coalesced, deferred, completed and failed decisions of the
-- same pipeline used to collide on the unique index on pipeline_id (only `started` was stored), and decisions without
-- a pipeline had no key at all. decision_key is the decision's own identity (decision, pipeline, trigger kind and the
-- workflow time it was made at), the same on every retry of the recording activity.

ALTER TABLE retrain_decisions ADD COLUMN decision_key text;
UPDATE retrain_decisions SET decision_key = 'legacy:' || id WHERE decision_key IS NULL;
ALTER TABLE retrain_decisions ALTER COLUMN decision_key SET NOT NULL;
DROP INDEX retrain_decisions_pipeline_idx;
CREATE UNIQUE INDEX retrain_decisions_key_idx ON retrain_decisions (model, decision_key);
CREATE INDEX retrain_decisions_pipeline_idx ON retrain_decisions (pipeline_id) WHERE pipeline_id IS NOT NULL;

-- Down Migration
DROP INDEX retrain_decisions_pipeline_idx;
DROP INDEX retrain_decisions_key_idx;
ALTER TABLE retrain_decisions DROP COLUMN decision_key;
CREATE UNIQUE INDEX retrain_decisions_pipeline_idx ON retrain_decisions (pipeline_id) WHERE pipeline_id IS NOT NULL;
