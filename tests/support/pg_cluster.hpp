// A private PostgreSQL cluster for integration tests.
//
// initdb in a temp dir, then a server listening only on a Unix socket in that
// dir (no TCP), fsync off. The superuser `postgres` connects without a
// password; every other role must give its password (scram-sha-256), so
// tests can exercise password handling. As root, initdb and the server run as
// the `postgres` OS user (PostgreSQL refuses root); otherwise as the current
// user. The binaries come from the newest /usr/lib/postgresql/*/bin, or
// $EMSYNC_PG_BIN_DIR.
//
// Failures throw std::runtime_error with the command's output and the tail of
// the server log.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace emsync::test {

class PgCluster {
 public:
  // Creates and starts the cluster (a second or two).
  PgCluster();
  // Stops the server (pg_ctl stop -m fast) and removes the directory.
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // A cluster started on first use and shared by every test in this process,
  // stopped at exit. Thread-safe. A failed start is remembered and rethrown.
  static PgCluster& shared();

  // "host=SOCKDIR port=PORT user=postgres dbname=postgres"
  const std::string& conninfo() const { return m_conninfo; }
  // The same server, another role and database.
  std::string conninfo(const std::string& user, const std::string& dbname) const;
  const std::filesystem::path& socket_dir() const { return m_dir.path(); }
  int port() const { return m_port; }

  // Runs SQL (one or more statements) as `postgres` with psql, stopping at
  // the first error. Throws std::runtime_error with psql's message.
  void exec(const std::string& sql, const std::string& dbname = "postgres") const;
  // Runs a query and returns psql's unaligned output without headers: one
  // line per row, columns separated by '|', no trailing newline.
  std::string query(const std::string& sql, const std::string& dbname = "postgres") const;

 private:
  void run_as_server_user(const std::vector<std::string>& argv) const;
  std::string psql(const std::string& sql, const std::string& dbname, bool tuples_only) const;
  std::string log_tail() const;

  TempDir m_dir;  // socket dir; the cluster is in m_dir/data
  std::filesystem::path m_bin_dir;
  int m_port = 0;
  std::string m_conninfo;
  bool m_started = false;
};

}  // namespace emsync::test
