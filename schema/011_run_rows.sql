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

-- Each contact's state also says which run's batch Emarsys acknowledged it
-- in (`emsyncctl explain`): contact_state.state and contact_log.state (the
-- format of schema 7) gain, after the field hashes, the run id as an
-- unsigned LEB128 varint (7 bits a byte, low first; 2 to 4 bytes for run ids
-- up to 268 million). A state stored before this migration has none: its
-- run is not known until the contact is sent again. Nothing is rewritten
-- here; this emsync reads both forms, an older one refuses the state DB
-- (user_version 11).
