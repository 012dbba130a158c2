// The table the incremental-read tests of the PostgreSQL sources read:
// cursors of every kind PostgreSQL has, NULLs among them.
#pragma once

#include "support/pg_cluster.hpp"

namespace emsync::test {

// (Re)creates `changes`. Row 1 is at '2026-12-02 10:00:00+02': 08:00 UTC;
// row 4 is all NULL; "odd ""col" has a quote in its name.
inline void create_pg_changes() {
  PgCluster::shared().exec(R"(
    DROP TABLE IF EXISTS changes;
    CREATE TABLE changes (id int PRIMARY KEY, at timestamptz, local_at timestamp, day date,
                          version int8, big numeric(38,0), "odd ""col" int);
    INSERT INTO changes VALUES
      (1, '2026-12-02 10:00:00+02', '2026-12-02 08:00:00', '2026-12-01', 41, 41, 1),
      (2, '2026-12-02 08:30:00+00', '2026-12-02 08:30:00', '2026-12-02', 42, 42, 2),
      (3, '2026-12-02 09:00:00.25+00', '2026-12-02 09:00:00.25', '2026-12-03', 43,
       99999999999999999999999999999999999999, 3),
      (4, NULL, NULL, NULL, NULL, NULL, NULL),
      (5, '2026-12-02 07:59:59.999999+00', '2026-12-02 07:59:59.999999', '2026-11-30', -1, -1, 0);
  )");
}

}  // namespace emsync::test
