// The audit log of state-changing admin commands (schema/003_audit.sql).
#include "store/sqlite_state_store.hpp"

namespace emsync::store {

Result<void> SqliteStateStore::add_audit_entry(const AuditEntry& entry) {
  std::lock_guard lock(m_mutex);
  auto insert = use(Query::insert_audit);
  insert->bind_all(entry.at, std::int64_t{entry.peer_uid}, std::int64_t{entry.peer_gid},
                   std::int64_t{entry.peer_pid}, entry.method, entry.target, entry.outcome,
                   entry.detail);
  return insert->run();
}

Result<std::vector<AuditEntry>> SqliteStateStore::list_audit_entries(int limit) {
  std::lock_guard lock(m_mutex);
  auto list = use(Query::list_audit);
  list->bind_all(std::int64_t{limit});
  return read_rows<AuditEntry>(*list, [](const Statement& row) {
    return AuditEntry{row.get_int64(0),         static_cast<int>(row.get_int64(1)),
                      static_cast<int>(row.get_int64(2)), static_cast<int>(row.get_int64(3)),
                      row.get_text(4),          row.get_optional_text(5),
                      row.get_text(6),          row.get_optional_text(7)};
  });
}

}  // namespace emsync::store
