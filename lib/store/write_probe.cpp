#include "store/write_probe.hpp"

#include <sqlite3.h>
#include <sys/statvfs.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include "store/sqlite.hpp"

namespace emsync::store {

struct WriteProbe::Impl {
  std::string path;
  std::optional<Db> db;  // opened on first use, reopened after a failure
};

WriteProbe::WriteProbe(std::string state_db_path) : m_impl(std::make_unique<Impl>()) {
  m_impl->path = std::move(state_db_path);
}

WriteProbe::~WriteProbe() = default;

Result<void> WriteProbe::check(UnixMillis now) {
  const std::string& path = m_impl->path;
  const auto dir = std::filesystem::absolute(path).parent_path();
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) {
    return make_error(Errc::state_error, "cannot inspect the file system of the state DB " + path +
                                             ": " + std::strerror(errno));
  }
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < k_min_free_bytes) {
    return make_error(Errc::state_error, "the file system of the state DB " + path + " is full (" +
                                             std::to_string(free_bytes / 1024) +
                                             " KiB free); free some space");
  }
  if (!m_impl->db) {
    auto db = Db::open(path, SQLITE_OPEN_READWRITE);
    if (!db) {
      return db.error();
    }
    db->set_busy_timeout(5000);
    m_impl->db = std::move(*db);
  }
  auto written = m_impl->db->exec(
      "PRAGMA synchronous=FULL; INSERT INTO health_probe VALUES (1, " + std::to_string(now) +
      ") ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at");
  if (!written) {
    m_impl->db.reset();  // a fresh connection next time, e.g. after a remount
    return make_error(Errc::state_error,
                      "the state DB " + path + " cannot be written: " + written.error().message);
  }
  return ok();
}

std::uint64_t WriteProbe::size_bytes() const {
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ignored;
    const auto size = std::filesystem::file_size(m_impl->path + suffix, ignored);
    total += ignored ? 0 : size;
  }
  return total;
}

}  // namespace emsync::store
