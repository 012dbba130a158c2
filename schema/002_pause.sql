-- Activations can be paused by an operator (emsyncctl pause/resume): a paused
-- activation is not started by its schedule. Kept across restarts.
ALTER TABLE activations ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
