// Schema migrations: schema/NNN_*.sql, compiled into the binary, applied in
// order and tracked with PRAGMA user_version.
#pragma once

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

}  // namespace emsync::store
