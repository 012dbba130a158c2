-- 007: compact contact state (issue #6): about 90 bytes per contact with 10
-- mapped fields instead of about 290, and no email in the state DB.
--
-- Contacts are keyed by hash64 of the normalised email (two emails of one
-- activation with the same hash are already one duplicate email to a run).
-- The field keys ("first_name>1") are stored once per activation, in
-- state_fields, where each gets a slot number on first use (append-only,
-- never reused while the activation's contact state lives).
--
-- contact_state.state, integers little endian:
--   contact_hash  u64
--   slot set      the slots of the fields present, 7 per byte (slot 7*i + b
--                 is bit b of byte i); bit 7 is set when another byte follows
--   field hashes  u64 per present slot, in ascending slot order
-- The contact hash is in the blob rather than a column of its own: one
-- column less makes a row 1 byte smaller, and 38 rows instead of 37 fit in
-- a 4 KiB page (issue #6's 128 bytes per contact includes B-tree slack).
--
-- The C++ step of this migration (convert_contact_state_v6, in
-- lib/store/contact_codec.cpp) fills both tables from contact_state_v6 and
-- drops it, keeping every stored hash: no contact is resent after upgrading.
ALTER TABLE contact_state RENAME TO contact_state_v6;

CREATE TABLE state_fields (
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  slot          INTEGER NOT NULL CHECK (slot >= 0),
  state_key     TEXT    NOT NULL,
  PRIMARY KEY (activation_id, slot),
  UNIQUE (activation_id, state_key)
) WITHOUT ROWID;

CREATE TABLE contact_state (
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  email_hash    INTEGER NOT NULL,
  state         BLOB    NOT NULL,
  PRIMARY KEY (activation_id, email_hash)
) WITHOUT ROWID;

-- The contact log: what commit_contacts() stores after each acknowledged
-- batch, appended in commit order (seq) rather than inserted into
-- contact_state at 1000 random places. Inserting by email hash dirtied about
-- one contact_state page per contact on every commit, each written to the
-- WAL and checkpointed back. An activation's log is folded into
-- contact_state in email hash order (the latest seq of a contact wins), so
-- each page is written about once per fold, and then deleted: when a run
-- loads the stored digests (the start of a run, also after a crash), when it
-- drops departed contacts (its end), and when a lookup may need it. Between
-- runs the log is empty. Same state format as contact_state.state.
--
-- contact_log_by_activation finds an activation's rows for the fold, the
-- delete after it and ON DELETE CASCADE. An activation's entries are
-- (activation_id, seq) in ascending seq, so they too are appended at the end
-- of the activation's range: a commit writes only a few pages.
CREATE TABLE contact_log (
  seq           INTEGER PRIMARY KEY,
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  email_hash    INTEGER NOT NULL,
  state         BLOB    NOT NULL
);

CREATE INDEX contact_log_by_activation ON contact_log (activation_id);
