#include "support/pg_cluster.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "support/process.hpp"

namespace emsync::test {
namespace {

constexpr auto k_command_timeout = std::chrono::seconds(120);

// The superuser connects without a password; other roles must give theirs.
constexpr const char* k_hba = "local all postgres trust\nlocal all all scram-sha-256\n";

int version_of(const std::filesystem::path& bin_dir) {
  try {
    return std::stoi(bin_dir.parent_path().filename().string());
  } catch (const std::exception&) {
    return 0;
  }
}

std::filesystem::path find_bin_dir() {
  if (const char* configured = std::getenv("EMSYNC_PG_BIN_DIR")) {
    return configured;
  }
  std::filesystem::path best;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ignored)) {
    const auto bin = entry.path() / "bin";
    if (std::filesystem::exists(bin / "initdb") && version_of(bin) > version_of(best)) {
      best = bin;
    }
  }
  if (best.empty()) {
    throw std::runtime_error(
        "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install postgresql (or set "
        "EMSYNC_PG_BIN_DIR)");
  }
  return best;
}

// A TCP port nobody listens on now. The server only uses it to name its
// socket file, but a free port keeps the conninfo honest.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  const bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
  ::close(fd);
  if (!ok) {
    throw std::runtime_error("cannot find a free TCP port for PostgreSQL");
  }
  return ntohs(address.sin_port);
}

// As root, hands `dir` to the postgres OS user, who will run the server.
void give_to_server_user(const std::filesystem::path& dir) {
  if (::geteuid() != 0) {
    return;
  }
  const passwd* user = ::getpwnam("postgres");
  if (user == nullptr || ::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
    throw std::runtime_error("running as root, but cannot hand " + dir.string() +
                             " to the 'postgres' user: does it exist?");
  }
}

}  // namespace

PgCluster::PgCluster() : m_dir("emsync-pg"), m_bin_dir(find_bin_dir()), m_port(free_port()) {
  const std::string dir = m_dir.path().string();
  m_conninfo = conninfo("postgres", "postgres");
  give_to_server_user(m_dir.path());
  run_as_server_user({(m_bin_dir / "initdb").string(), "-D", dir + "/data", "-A", "trust", "-U",
                      "postgres", "-E", "UTF8", "--locale=C", "--no-sync"});
  std::ofstream(m_dir.path() / "data" / "pg_hba.conf", std::ios::trunc) << k_hba;
  run_as_server_user(
      {(m_bin_dir / "pg_ctl").string(), "-D", dir + "/data", "-l", dir + "/server.log", "-w", "-t",
       "60", "-o",
       "-p " + std::to_string(m_port) + " -k " + dir + " -c listen_addresses='' -c fsync=off",
       "start"});
  m_started = true;
}

PgCluster::~PgCluster() {
  if (!m_started) {
    return;
  }
  try {
    run_as_server_user({(m_bin_dir / "pg_ctl").string(), "-D", (m_dir.path() / "data").string(),
                        "-m", "fast", "-w", "stop"});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stopping the test PostgreSQL cluster: %s\n", e.what());
  }
}

PgCluster& PgCluster::shared() {
  static std::mutex mutex;
  static std::unique_ptr<PgCluster> cluster;
  static std::string failure;
  std::lock_guard lock(mutex);
  if (!failure.empty()) {
    throw std::runtime_error(failure);
  }
  if (!cluster) {
    try {
      cluster = std::make_unique<PgCluster>();
    } catch (const std::exception& e) {
      failure = e.what();
      throw;
    }
  }
  return *cluster;
}

std::string PgCluster::conninfo(const std::string& user, const std::string& dbname) const {
  return "host=" + m_dir.path().string() + " port=" + std::to_string(m_port) + " user=" + user +
         " dbname=" + dbname;
}

void PgCluster::run_as_server_user(const std::vector<std::string>& argv) const {
  std::vector<std::string> command = argv;
  if (::geteuid() == 0) {
    command.insert(command.begin(), {"runuser", "-u", "postgres", "--"});
  }
  SpawnOptions options;
  options.cwd = m_dir.path();  // readable by the server user, unlike root's home
  const CommandResult result = run_command(command, {}, k_command_timeout, options);
  if (result.exit_code != 0) {
    throw std::runtime_error(argv.front() + " failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.stderr_text + result.stdout_text + log_tail());
  }
}

std::string PgCluster::psql(const std::string& sql, const std::string& dbname,
                            bool tuples_only) const {
  std::vector<std::string> command = {
      (m_bin_dir / "psql").string(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
      conninfo("postgres", dbname),  "-f", "-"};
  if (tuples_only) {
    command.insert(command.end() - 2, {"-A", "-t"});
  }
  const CommandResult result = run_command(command, sql, k_command_timeout);
  if (result.exit_code != 0) {
    throw std::runtime_error("psql failed on: " + sql + "\n" + result.stderr_text);
  }
  return result.stdout_text;
}

void PgCluster::exec(const std::string& sql, const std::string& dbname) const {
  psql(sql, dbname, false);
}

std::string PgCluster::query(const std::string& sql, const std::string& dbname) const {
  std::string output = psql(sql, dbname, true);
  while (!output.empty() && output.back() == '\n') {
    output.pop_back();
  }
  return output;
}

std::string PgCluster::log_tail() const {
  std::ifstream log(m_dir.path() / "server.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  if (text.empty()) {
    return "";
  }
  constexpr std::size_t k_tail = 2000;
  return "\nserver log (" + (m_dir.path() / "server.log").string() + "):\n" +
         text.substr(text.size() > k_tail ? text.size() - k_tail : 0);
}

}  // namespace emsync::test
