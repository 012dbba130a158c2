-- One row the daemon rewrites now and then to prove the state DB can still
-- be written (its health probe; see store/write_probe.hpp).
CREATE TABLE health_probe (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  probed_at INTEGER NOT NULL
);
