#include "store/migrations.hpp"

#include <iterator>
#include <string>

#include "store/contact_codec.hpp"

namespace emsync::store {
namespace {

struct Migration {
  int version;
  const char* file;
  const char* sql;
};

// Generated at build time from schema/*.sql (see embed_schema.cmake).
constexpr Migration k_migrations[] = {
#include "store/schema_migrations.inc"
};

// The C++ step of a migration, for a data conversion SQL cannot do: run
// right after the migration's SQL, in the same transaction.
struct Conversion {
  int version;
  Result<void> (*convert)(Db& db);
};

constexpr Conversion k_conversions[] = {
    {7, convert_contact_state_v6},
    {13, convert_contact_state_v12},
};

Result<void> apply(Db& db, const Migration& migration) {
  EMSYNC_TRY(db.exec(migration.sql));
  for (const Conversion& conversion : k_conversions) {
    if (conversion.version == migration.version) {
      EMSYNC_TRY(conversion.convert(db));
    }
  }
  return ok();
}

Result<int> read_user_version(Db& db) {
  auto statement = db.prepare("PRAGMA user_version");
  if (!statement) {
    return statement.error();
  }
  auto row = statement->step();
  if (!row) {
    return row.error();
  }
  return *row ? static_cast<int>(statement->get_int64(0)) : 0;
}

Error too_new(const Db& db, int version) {
  return make_error(Errc::state_error,
                    db.describe() + " has schema version " + std::to_string(version) +
                        ", newer than this emsync knows (" +
                        std::to_string(latest_schema_version()) +
                        "): run a newer emsync, or restore a backup made by this version");
}

}  // namespace

int latest_schema_version() { return static_cast<int>(std::size(k_migrations)); }

Result<void> migrate(Db& db) { return migrate(db, latest_schema_version()); }

Result<void> migrate(Db& db, int up_to_version) {
  auto transaction = Transaction::begin(db);
  if (!transaction) {
    return transaction.error();
  }
  auto current = read_user_version(db);
  if (!current) {
    return current.error();
  }
  if (*current > latest_schema_version()) {
    return too_new(db, *current);
  }
  for (const Migration& migration : k_migrations) {
    if (migration.version > *current && migration.version <= up_to_version) {
      auto applied = apply(db, migration);
      if (!applied) {
        return make_error(Errc::state_error, "migration schema/" + std::string(migration.file) +
                                                 " failed: " + applied.error().message);
      }
    }
  }
  if (up_to_version > *current) {
    EMSYNC_TRY(db.exec("PRAGMA user_version = " + std::to_string(up_to_version)));
  }
  return transaction->commit();
}

Result<MigrationPlan> plan_migrations(Db& db) {
  auto current = read_user_version(db);
  if (!current) {
    return current.error();
  }
  if (*current > latest_schema_version()) {
    return too_new(db, *current);
  }
  MigrationPlan plan{*current, latest_schema_version(), {}};
  for (const Migration& migration : k_migrations) {
    if (migration.version > *current) {
      plan.pending.emplace_back(migration.file);
    }
  }
  return plan;
}

}  // namespace emsync::store
