-- Parked contacts: Emarsys rejected a contact with the same error (code) for
-- the same data (contact_hash) `streak` runs in a row. From the configured
-- streak on, runs skip it until its data changes or `emsyncctl retry NAME`.
CREATE TABLE rejection_streaks (
  activation_id INTEGER NOT NULL REFERENCES activations (id) ON DELETE CASCADE,
  email         TEXT    NOT NULL,
  code          TEXT    NOT NULL,
  contact_hash  INTEGER NOT NULL,
  streak        INTEGER NOT NULL,
  PRIMARY KEY (activation_id, email)
) WITHOUT ROWID;
