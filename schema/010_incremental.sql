-- 010: incremental reads (issue 17).
--
-- An activation with `incremental` reads only the rows whose cursor column
-- is at least its watermark minus the lookback (lib/sync/read_plan.hpp).
-- read_state keeps, per activation, where those reads stand between runs
-- (store::ReadState): one row, replaced by the run that moves it. No row
-- means the next read is full: a new activation, or one whose contact state
-- was dropped (a changed destination drops both in one transaction, so a
-- watermark never covers contact state that is gone; deleting the
-- activation cascades).
--
-- read_state columns:
--   cursor_type        the cursor column's type when the state was written
--   watermark          the highest cursor value up to which every row read
--                      is settled, as the canonical text of cursor_type
--                      ("42", "2026-12-02", "2026-12-02 10:00:00.250000");
--                      NULL: the next read is full
--   last_full_read_at  when the last full read that reached the end of its
--                      run ended; NULL: never (the next read is full)
--   fingerprint        hash64 of what the watermark depends on (source,
--                      destination, query, email column, mapped columns,
--                      cursor column): another one makes the next read full
--   last_full_read_rows, last_full_read_stored
--                      the rows the last full read that reached the end of
--                      its run read, and the contacts it left stored: what
--                      the safety valve compares a full read with (however
--                      many incremental runs came since: run history is
--                      pruned, this is not), and a lower bound of the
--                      contacts stored since; 0 before the first
CREATE TABLE read_state (
  activation_id     INTEGER PRIMARY KEY REFERENCES activations (id) ON DELETE CASCADE,
  cursor_type       TEXT    NOT NULL CHECK (cursor_type IN ('integer', 'date', 'timestamp')),
  watermark         TEXT,
  last_full_read_at INTEGER,
  fingerprint       INTEGER NOT NULL,
  last_full_read_rows   INTEGER NOT NULL DEFAULT 0,
  last_full_read_stored INTEGER NOT NULL DEFAULT 0
);

-- How each run read its model (store::RunRead), shown by `runs` and the run
-- report: `read` full or incremental; for an incremental read the watermark
-- it started from and read_from, the bound of the rows it selected (cursor
-- >= read_from: the watermark minus the lookback). Runs from before this
-- migration read the whole model: 'full', with no watermark.
ALTER TABLE runs ADD COLUMN read TEXT NOT NULL DEFAULT 'full'
  CHECK (read IN ('full', 'incremental'));
ALTER TABLE runs ADD COLUMN watermark TEXT;
ALTER TABLE runs ADD COLUMN read_from TEXT;
-- Rows read whose cursor column was NULL (an incremental read never selects
-- them; each is also counted in one of the other counters). 0 for older
-- runs and for activations without `incremental`.
ALTER TABLE runs ADD COLUMN cursor_null INTEGER NOT NULL DEFAULT 0;
