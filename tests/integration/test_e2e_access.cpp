// End to end: who may do what on the admin socket, and that held connections
// lock nobody out. Another user is `nobody` (65534) through setpriv (or a
// forked child), with group 0 among its groups so that it can open the
// daemon's socket (0660 root:root when the tests run as root).
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "support/http.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int k_nobody = 65534;
constexpr int k_staff_gid = 50;  // Debian's group `staff`: the operators group here
constexpr int k_held_connections = 64;

// emsyncd on the demo model whose operators group is `staff`, in a directory
// other users may traverse (to reach the socket, whose mode decides).
struct AccessDaemon {
  AccessDaemon() : daemon(make_daemon()) {}

  Daemon make_daemon() {
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all |
                                                 std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec);
    DaemonOptions options;
    options.extra_config = {{"admin", {{"operators_group", "staff"}}}};
    return Daemon(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                  options);
  }

  // emsyncctl ARGS as nobody with primary group `gid` and supplementary `groups`.
  CommandResult ctl_as(int gid, const std::string& groups, const std::vector<std::string>& args,
                       const std::string& stdin_text = {}) const {
    std::vector<std::string> argv = {"setpriv",
                                     "--reuid=" + std::to_string(k_nobody),
                                     "--regid=" + std::to_string(gid),
                                     "--groups=" + groups,
                                     EMSYNCCTL_PATH,
                                     "--socket",
                                     daemon.socket_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, stdin_text, 5min);
  }
  CommandResult ctl_as_outsider(const std::vector<std::string>& args,
                                const std::string& stdin_text = {}) const {
    return ctl_as(k_nobody, "0", args, stdin_text);
  }

  TempDir dir{"emsync-access"};
  Simulator sim;
  Daemon daemon;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The audit entries by `uid`, oldest first.
std::vector<json> audited_by(const Daemon& daemon, int uid) {
  const json entries = daemon.ctl_json({"audit", "--limit", "100"}).at("entries");
  std::vector<json> out;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->at("peer_uid") == uid) {
      out.push_back(*it);
    }
  }
  return out;
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  return address;
}

int connect_unix(const sockaddr_un& address) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_tcp(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Waits up to `timeout` for the peer to close `fd` (EOF or reset); what was
// read meanwhile is appended to `received`.
bool closed_by_peer(int fd, std::chrono::milliseconds timeout, std::string* received = nullptr) {
  const auto deadline = Clock::now() + timeout;
  std::array<char, 4096> buffer{};
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      return true;
    }
    if (received != nullptr) {
      received->append(buffer.data(), static_cast<std::size_t>(n));
    }
  }
  return false;
}

// The two ends of a pipe.
struct Pipe {
  int read = -1;
  int write = -1;
};

// A child process, `nobody` with group 0, that holds k_held_connections idle
// connections to the admin socket; then it opens one more and reads the
// daemon's answer. It reports on `report` 'R' when that one was refused
// (every regular slot taken), '?' otherwise, then holds on until `release`
// is closed (a minute at most). Only system calls after fork(): the test process may have
// threads. The parent keeps report.read and release.write.
pid_t hold_admin_connections(const std::string& socket_path, Pipe report, Pipe release) {
  const sockaddr_un address = unix_address(socket_path);
  const pid_t child = ::fork();
  if (child != 0) {
    ::close(report.write);
    ::close(release.read);
    return child;
  }
  ::close(report.read);
  ::close(release.write);
  const gid_t groups[] = {0};
  if (::setgroups(1, groups) != 0 || ::setgid(k_nobody) != 0 || ::setuid(k_nobody) != 0) {
    ::_exit(10);
  }
  std::array<int, k_held_connections> held{};
  for (int& fd : held) {
    fd = connect_unix(address);
    if (fd < 0) {
      ::_exit(11);
    }
  }
  const int extra = connect_unix(address);
  std::array<char, 4096> answer{};
  pollfd p{extra, POLLIN, 0};
  const bool refused = extra >= 0 && ::poll(&p, 1, 5000) == 1 &&
                       ::recv(extra, answer.data(), answer.size() - 1, 0) > 0 &&
                       std::strstr(answer.data(), "\"transient\"") != nullptr;
  const char verdict = refused ? 'R' : '?';
  if (::write(report.write, &verdict, 1) != 1) {
    ::_exit(12);
  }
  pollfd released{release.read, POLLIN, 0};  // EOF, or give up if the test failed
  ::poll(&released, 1, 60'000);
  ::_exit(0);
}

}  // namespace

TEST_CASE("a socket user outside the operators group may read but not change anything",
          "[access]") {
  AccessDaemon d;
  d.daemon.apply(demo_activation("crm"));

  const auto list = d.ctl_as_outsider({"--json", "list"});
  INFO("list stderr: " << list.stderr_text);
  REQUIRE(list.exit_code == 0);
  CHECK(json::parse(list.stdout_text).at("activations").at(0).at("name") == "crm");
  CHECK(d.ctl_as_outsider({"status"}).exit_code == 0);
  CHECK(d.ctl_as_outsider({"show", "crm"}).exit_code == 0);
  CHECK(d.ctl_as_outsider({"audit"}).exit_code == 0);

  const std::vector<std::vector<std::string>> refused = {
      {"apply", "-"}, {"run", "crm", "--wait"}, {"delete", "crm"}, {"reload"}, {"pause", "crm"}};
  for (const auto& args : refused) {
    const auto result = d.ctl_as_outsider(args, demo_activation("other").dump());
    INFO("emsyncctl " << args.front() << " stderr: " << result.stderr_text);
    CHECK(result.exit_code == 4);
    CHECK(contains(result.stderr_text, "'" + args.front() +
                                           "' needs root, the daemon's user or "
                                           "membership of group 'staff'"));
    CHECK(contains(result.stderr_text, "(permission_denied)"));
  }

  // Nothing happened: no second activation, crm still there and never run.
  const json activations = d.daemon.ctl_json({"list"}).at("activations");
  REQUIRE(activations.size() == 1);
  CHECK(activations.at(0).at("name") == "crm");
  CHECK(activations.at(0).at("state") == "active");
  CHECK(d.daemon.ctl_json({"runs", "crm"}).at("runs").empty());
  CHECK(d.sim.contacts().empty());

  // Each refusal is audited with the caller's uid, gid and pid; reads are not.
  const auto entries = audited_by(d.daemon, k_nobody);
  INFO(json(entries).dump(2));
  REQUIRE(entries.size() == refused.size());
  for (std::size_t i = 0; i < refused.size(); ++i) {
    CHECK(entries[i].at("method") == refused[i].front());
    CHECK(entries[i].at("outcome") == "permission_denied");
    CHECK(entries[i].at("peer_gid") == k_nobody);
    const int pid = entries[i].at("peer_pid").get<int>();
    CHECK(pid > 0);
    CHECK(pid != d.daemon.pid());
    CHECK(pid != ::getpid());
    CHECK(contains(entries[i].at("detail").get<std::string>(), "group 'staff'"));
  }
  CHECK(entries.front().at("target") == "other");
  CHECK(entries.at(1).at("target") == "crm");
}

TEST_CASE("a member of the operators group may change things, by either kind of membership",
          "[access]") {
  AccessDaemon d;
  d.daemon.apply(demo_activation("crm"));

  // A supplementary group (SO_PEERGROUPS).
  const auto run =
      d.ctl_as(k_nobody, "0," + std::to_string(k_staff_gid), {"--json", "run", "crm", "--wait"});
  INFO("run stderr: " << run.stderr_text);
  REQUIRE(run.exit_code == 0);
  const json report = json::parse(run.stdout_text);
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("rows_read").get<int>() > 0);
  CHECK(d.daemon.ctl_json({"runs", "crm"}).at("runs").size() == 1);

  // The primary group (SO_PEERCRED).
  const auto pause = d.ctl_as(k_staff_gid, "0", {"pause", "crm"});
  INFO("pause stderr: " << pause.stderr_text);
  CHECK(pause.exit_code == 0);
  CHECK(d.daemon.ctl_json({"list"}).at("activations").at(0).at("state") == "paused");

  const auto entries = audited_by(d.daemon, k_nobody);
  INFO(json(entries).dump(2));
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].at("method") == "run");
  CHECK(entries[0].at("outcome") == "ok");
  CHECK(entries[1].at("method") == "pause");
  CHECK(entries[1].at("peer_gid") == k_staff_gid);
  CHECK(entries[1].at("outcome") == "ok");
}

TEST_CASE("a missing operators group leaves root in charge and is a --check-config warning",
          "[access]") {
  TempDir dir("emsync-access-nogroup");
  Simulator sim;
  json config =
      daemon_config(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  config["admin"] = {{"operators_group", "emsync-no-such-group"}};
  const auto path = dir.path() / "check.json";
  write_text_file(path, config.dump());
  const auto checked = run_command({EMSYNCD_PATH, "--check-config", path.string()});
  INFO("stderr: " << checked.stderr_text);
  CHECK(checked.exit_code == 0);
  CHECK(contains(checked.stderr_text,
                 "warning: the operators group 'emsync-no-such-group' does not exist"));

  DaemonOptions options;
  options.extra_config = {{"admin", {{"operators_group", "emsync-no-such-group"}}}};
  Daemon daemon(dir, demo_sources(), {{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
                options);
  daemon.apply(demo_activation("crm"));  // root
  CHECK(contains(daemon.log(), "the operators group 'emsync-no-such-group' does not exist"));
}

TEST_CASE("held connections lock out neither ping nor /healthz, and idle ones are closed",
          "[access]") {
  AccessDaemon d;

  // The admin socket: a user holds every regular slot.
  int report[2];
  int release[2];
  REQUIRE(::pipe(report) == 0);
  REQUIRE(::pipe(release) == 0);
  const pid_t holder = hold_admin_connections(d.daemon.socket_path(), {report[0], report[1]},
                                              {release[0], release[1]});
  REQUIRE(holder > 0);
  char verdict = 0;
  REQUIRE(::read(report[0], &verdict, 1) == 1);
  CHECK(verdict == 'R');  // its 65th connection was refused: the regular slots are all taken
  auto started = Clock::now();
  const auto ping = d.daemon.ctl({"ping"});  // root: a reserved slot
  const auto ping_time = Clock::now() - started;
  CHECK(ping.exit_code == 0);
  CHECK(ping_time < 2s);
  ::close(release[1]);
  int status = 0;
  REQUIRE(::waitpid(holder, &status, 0) == holder);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  ::close(report[0]);

  // The metrics port: 64 idle connections, then a health check.
  std::vector<int> held;
  for (int i = 0; i < k_held_connections; ++i) {
    const int fd = connect_tcp(d.daemon.metrics_port());
    REQUIRE(fd >= 0);
    held.push_back(fd);
  }
  started = Clock::now();
  const auto health = http_request("GET", "127.0.0.1", d.daemon.metrics_port(), "/healthz", {}, 2s);
  const auto health_time = Clock::now() - started;
  CHECK(health.status == 200);
  CHECK(health_time < 2s);

  // Idle connections are closed after a few seconds (5 s), on both.
  const int idle_admin = connect_unix(unix_address(d.daemon.socket_path()));
  REQUIRE(idle_admin >= 0);
  started = Clock::now();
  CHECK(closed_by_peer(idle_admin, 8s));
  CHECK(Clock::now() - started > 3s);
  for (const int fd : held) {
    CHECK(closed_by_peer(fd, 1s));
    ::close(fd);
  }
  ::close(idle_admin);
  CHECK(d.daemon.ctl({"ping"}).exit_code == 0);
}

}  // namespace emsync::test
