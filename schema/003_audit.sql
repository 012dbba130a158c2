-- The audit log: every state-changing admin command (apply, delete, run,
-- cancel, pause, resume, reload), who sent it (SO_PEERCRED of the client) and
-- how it ended. Read with `emsyncctl audit`. Not tied to activations, so it
-- outlives a deleted one.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,          -- unix milliseconds
  peer_uid INTEGER NOT NULL,    -- -1 when the kernel did not say
  peer_gid INTEGER NOT NULL,
  peer_pid INTEGER NOT NULL,
  method TEXT NOT NULL,
  target TEXT,                  -- the activation(s) concerned, if any
  outcome TEXT NOT NULL,        -- "ok" or the error code
  detail TEXT                   -- the error message, or what was done
);
