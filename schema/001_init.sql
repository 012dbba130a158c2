-- 001: the initial schema.
--
-- Timestamps are Unix milliseconds (UTC). 64-bit hashes are stored as the
-- signed 64-bit integer with the same bits.

CREATE TABLE activations (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE CHECK (name <> ''),
  definition  TEXT    NOT NULL,  -- the activation as JSON text, as applied
  destination TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  status        TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'partial',
                                                   'failed', 'cancelled', 'interrupted')),
  full          INTEGER NOT NULL CHECK (full IN (0, 1)),
  rows_read     INTEGER NOT NULL DEFAULT 0,
  unchanged     INTEGER NOT NULL DEFAULT 0,
  updated       INTEGER NOT NULL DEFAULT 0,
  inserted      INTEGER NOT NULL DEFAULT 0,
  not_found     INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  started_at    INTEGER NOT NULL,  -- when queued, then when started
  finished_at   INTEGER,
  error         TEXT
);
-- Newest runs of an activation; also serves the foreign key's cascade.
CREATE INDEX runs_by_activation ON runs (activation_id, id);

-- The last acknowledged state of each contact, for change detection.
-- field_hashes: per field, u32 key length, key bytes, u64 hash (little endian).
CREATE TABLE contact_state (
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  email         TEXT    NOT NULL,
  contact_hash  INTEGER NOT NULL,
  field_hashes  BLOB    NOT NULL,
  PRIMARY KEY (activation_id, email)
) WITHOUT ROWID;

CREATE TABLE rejections (
  id            INTEGER PRIMARY KEY,
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  row_key       TEXT    NOT NULL,
  code          TEXT    NOT NULL,
  message       TEXT    NOT NULL
);
CREATE INDEX rejections_by_run ON rejections (activation_id, run_id);
-- Lets the cascade from a deleted run find its rejections without a scan.
CREATE INDEX rejections_by_run_id ON rejections (run_id);
