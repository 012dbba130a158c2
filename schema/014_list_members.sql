-- 014: segments as Emarsys contact lists (issue 20: "mode": "list").
--
-- A list activation mirrors its model into an Emarsys contact list
-- (lib/sync/list_run.hpp). emsync removes from the list only the members it
-- added itself: list_members keeps them, per activation. A member is
-- inserted only after Emarsys acknowledged the add request that held it,
-- and deleted after the delete request (or when Emarsys no longer knows the
-- contact), one transaction per request.
--
-- Why the normalised email, where the contacts mode keeps only hash64 of
-- it (schema/007): a member leaves the list because it left the model, so
-- the run no longer reads its email, and Emarsys removes list members by
-- email (or by contact id, which the add request does not return). So the
-- email is the key, and nothing else is stored: a WITHOUT ROWID table whose
-- row is (activation_id, email), about 30 bytes per member with B-tree slack
-- for 24-byte emails (tests/unit/store measures it at 100k members; issue
-- 20 allows 40). A run loads the members as sorted email hashes (8 bytes
-- each in memory, hashed while read), diffs the model against them, and
-- reads the emails back only for the members that left.
--
-- list_state remembers, per activation, which list its members belong to
-- (`list_ref`, config::describe: "name 'VIP France'" or "id 123") and the
-- list's id once known (a list given by name is looked up, or created once,
-- on the first run; NULL until then). Both tables are dropped with the
-- activation (ON DELETE CASCADE), and emptied when its destination, mode or
-- list changes (store/activations.cpp): members of another list are not
-- this one's.
CREATE TABLE list_members (
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  email         TEXT    NOT NULL,
  PRIMARY KEY (activation_id, email)
) WITHOUT ROWID;

CREATE TABLE list_state (
  activation_id INTEGER PRIMARY KEY REFERENCES activations (id) ON DELETE CASCADE,
  list_ref      TEXT    NOT NULL,
  list_id       INTEGER
);

-- The run report's counters of list activations (store::RunCounts): rows
-- whose contact joined the list, and members removed (not rows: they left
-- the model). 0 for contacts activations and older runs.
ALTER TABLE runs ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
