-- 009: at most 10,000 detailed rejections per run (issue 14).
--
-- A model with millions of bad rows (or a hostile one) used to store a row in
-- `rejections` for each, and `emsyncctl errors` listed them all in one reply.
-- The store now keeps the first 10,000 rejections of a run
-- (StateStore::add_rejections) and counts the others here, so `errors` says
-- how many were not kept. The run's `rejected` counter stays exact: it
-- counts every rejected row, kept or not. Runs from before this migration
-- kept everything (0).
ALTER TABLE runs ADD COLUMN rejections_not_kept INTEGER NOT NULL DEFAULT 0;
