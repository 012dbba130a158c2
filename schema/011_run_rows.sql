-- 011: every contact a run did not settle, not only the rejected ones
-- (issue 18: `emsyncctl errors` tells the truth).
--
-- `rejections` now also keeps, per run, the contacts Emarsys did not know
-- while insert_new_contacts is off (`not_found`) and those it never
-- acknowledged (`failed`: a batch that failed as a whole, with the failure's
-- message), each row with its kind. The 10,000-rows-per-run cap of schema 9
-- covers every kind together; runs.rejections_not_kept counts the rows of any
-- kind past it. Rows stored before this migration are rejections.
ALTER TABLE rejections ADD COLUMN kind TEXT NOT NULL DEFAULT 'rejected'
  CHECK (kind IN ('rejected', 'failed', 'not_found'));
