-- 012: a run's warnings (issue 18: data-quality rules).
--
-- A run that sent what it could may still have something to say: the rows it
-- rejected, by reason (under the activation's max_rejected_percent), or that
-- every contact it sent was not_found while insert_new_contacts is off
-- (lib/sync/data_quality.hpp). `warnings` keeps them as a JSON array of
-- strings; NULL (runs before this migration, and runs without any) is none.
ALTER TABLE runs ADD COLUMN warnings TEXT;
