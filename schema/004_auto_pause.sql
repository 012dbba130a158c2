-- Auto-pause: an activation whose runs fail N times in a row for a reason
-- that will not fix itself (source or query error, auth refused, a field or
-- list missing) is paused by the daemon with the reason, and resumed by it
-- once a periodic check passes (or by `emsyncctl resume`).
ALTER TABLE activations ADD COLUMN failure_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activations ADD COLUMN auto_paused_reason TEXT;
