// Schema migrations: schema/NNN_*.sql, compiled into the binary, applied in
// order and tracked with PRAGMA user_version.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite.hpp"

namespace emsync::store {

// The newest schema version this binary knows (the highest NNN).
int latest_schema_version();

// Applies every migration newer than the database's user_version, all in one
// transaction (so a failure leaves the database as it was). Fails, changing
// nothing, when the database is newer than this binary or is not a database.
Result<void> migrate(Db& db);
// The same, but only up to schema version `up_to_version` (tests build older
// databases with it).
Result<void> migrate(Db& db, int up_to_version);

// What the next start would do to a state DB: the migrations it would apply.
// Read without changing anything (`emsyncd --check-migrations`, which the
// Debian package runs before it restarts an upgraded daemon).
struct MigrationPlan {
  int current = 0;                   // the database's schema version (0: empty)
  int latest = 0;                    // latest_schema_version()
  std::vector<std::string> pending;  // schema/ file names the start applies, in order
};
// Fails, as migrate() would, when the database is newer than this binary or
// is not a database. Example: a database at 10, with 12 known, gives
// {10, 12, {"011_run_rows.sql", "012_run_warnings.sql"}}.
Result<MigrationPlan> plan_migrations(Db& db);

}  // namespace emsync::store
