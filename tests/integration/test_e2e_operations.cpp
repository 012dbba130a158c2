// End to end: what an operator does to a running daemon: cancel, delete,
// reload, SIGTERM, status, audit, concurrency limits, socket permissions,
// and the systemd notifications.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <functional>
#include <mutex>
#include <thread>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;


// A people model of `rows` contacts sent at 120 requests a minute (about one
// 1000-contact batch a second on a first run), so a run lasts long enough to
// act on it.
struct SlowSync {
  TempDir dir{"emsync-ops"};
  Simulator sim;
  json sources;
  json destinations;

  SlowSync(const std::string& db, int rows)
      : sources({{"warehouse", {{"type", "postgres"}, {"conninfo", create_people_db(db, rows)}}}}) {
    json destination = wsse_destination(sim, dir, std::nullopt);
    destination["rate_limit_per_minute"] = 60;  // about one batch of new contacts a second
    destinations = {{"emarsys", destination}};
  }

  std::unique_ptr<Daemon> start(DaemonOptions options = {}) const {
    return std::make_unique<Daemon>(dir, sources, destinations, std::move(options));
  }
};

json status_run(const Daemon& daemon) {
  const json runs = daemon.ctl_json({"status"}).at("runs");
  return runs.empty() ? json(nullptr) : runs.at(0);
}

// Waits until the run in progress has settled at least `rows` rows.
void wait_for_progress(const Daemon& daemon, std::int64_t rows) {
  REQUIRE(wait_until([&] {
    const json run = status_run(daemon);
    return run.is_object() && run.at("rows_done").get<std::int64_t>() >= rows;
  }));
}

json latest_run(const Daemon& daemon, const std::string& name) {
  return daemon.ctl_json({"runs", name, "--limit", "1"}).at("runs").at(0);
}

void check_simulator_holds_people(const Simulator& sim, int rows) {
  const auto contacts = sim.contacts();
  REQUIRE(contacts.size() == static_cast<std::size_t>(rows));
  for (int i : {1, 2, 4, rows / 2, rows}) {
    INFO(person(i));
    json expected = person_fields(i);
    expected["3"] = person(i);
    for (const auto& [field, value] : expected.items()) {
      CHECK(as_text(contacts.at(person(i)).at(field)) == as_text(value));
    }
  }
}

}  // namespace

TEST_CASE("status shows a run in progress; cancel stops it at a batch boundary and keeps what "
          "Emarsys acknowledged; both survive a restart",
          "[operations]") {
  SlowSync s("e2e_cancel", 8000);
  {
    auto daemon = s.start();
    daemon->apply(people_activation("people", "emarsys", all_people_fields()));
    REQUIRE(daemon->ctl({"run", "people"}).exit_code == 0);
    wait_for_progress(*daemon, 1000);

    const json progress = status_run(*daemon);
    CHECK(progress.at("activation") == "people");
    CHECK(progress.at("phase") == "sending");
    CHECK(progress.at("rows_read") == 8000);
    CHECK(progress.at("rows_per_s").get<std::int64_t>() > 0);
    CHECK(progress.at("eta_s").get<std::int64_t>() > 0);
    const json status = daemon->ctl_json({"status"});
    CHECK(status.at("version") == EMSYNC_VERSION);
    CHECK(status.at("activations").at("running") == 1);
    const auto human = daemon->ctl({"status"});
    CHECK(human.stdout_text.find("ROWS/S") != std::string::npos);
    CHECK(daemon->ctl_json({"list"}).at("activations").at(0).at("activity") == "running");

    // The README's online backup works while a run commits batches.
    const auto backup = s.dir.path() / "backup.db";
    const auto backed_up =
        run_command({"sqlite3", daemon->state_db(), ".backup '" + backup.string() + "'"});
    INFO(backed_up.stderr_text);
    REQUIRE(backed_up.exit_code == 0);
    CHECK(run_command({"sqlite3", backup.string(), "PRAGMA integrity_check"}).stdout_text == "ok\n");
    CHECK(run_command({"sqlite3", backup.string(), "SELECT name FROM activations"}).stdout_text ==
          "people\n");

    const json cancelled = daemon->ctl_json({"cancel", "people"});
    const json run = cancelled.at("cancelled_run");
    CHECK(run.at("status") == "cancelled");
    const std::int64_t acknowledged = run.at("inserted").get<std::int64_t>();
    CHECK(acknowledged >= 1000);
    CHECK(acknowledged < 8000);
    // A cancelled run's acknowledged contacts wait in the contact log until
    // the next run folds it; `show` counts them either way.
    CHECK(std::stoll(daemon->state_rows(k_stored_count_sql).at(0)) == acknowledged);
    CHECK(daemon->ctl_json({"show", "people"}).at("contacts") == acknowledged);
    CHECK(daemon->ctl_json({"list"}).at("activations").at(0).at("activity") == "idle");
    // Nothing to cancel now: an error naming the activation.
    const auto nothing = daemon->ctl({"cancel", "people"});
    CHECK(nothing.exit_code == 1);
    CHECK(nothing.stderr_text.find("'people' has no run in progress") != std::string::npos);
  }
  auto daemon = s.start();
  CHECK(latest_run(*daemon, "people").at("status") == "cancelled");
  const json next = daemon->run("people");
  CHECK(next.at("status") == "succeeded");
  CHECK(next.at("unchanged").get<std::int64_t>() + next.at("inserted").get<std::int64_t>() == 8000);
  CHECK(next.at("unchanged").get<std::int64_t>() >= 1000);
  check_simulator_holds_people(s.sim, 8000);
}

TEST_CASE("delete drops a queued run and stays deleted after a restart", "[operations]") {
  SlowSync s("e2e_delete", 3000);
  {
    auto daemon = s.start();
    daemon->apply(people_activation("people", "emarsys", all_people_fields()));
    daemon->apply(people_activation("other", "emarsys", all_people_fields()));
    CHECK(daemon->ctl_json({"run", "people"}).at("queued") == false);
    const json queued = daemon->ctl_json({"run", "people"});
    CHECK(queued.at("queued") == true);
    // A running activation cannot be deleted; the message says what to do.
    const auto refused = daemon->ctl({"delete", "people"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.stderr_text.find("emsyncctl cancel people") != std::string::npos);
    REQUIRE(daemon->ctl({"cancel", "people"}).exit_code == 0);
    REQUIRE(daemon->ctl({"delete", "people"}).exit_code == 0);
    CHECK(daemon->state_rows("SELECT count(*) FROM runs").at(0) == "0");
  }
  auto daemon = s.start();
  const json list = daemon->ctl_json({"list"}).at("activations");
  REQUIRE(list.size() == 1);
  CHECK(list.at(0).at("name") == "other");
  CHECK(daemon->ctl({"show", "people"}).exit_code == 1);
}

TEST_CASE("max_concurrent_runs: a run waits for a free place, then starts", "[operations]") {
  SlowSync s("e2e_concurrency", 3000);
  auto daemon = s.start({.extra_config = {{"max_concurrent_runs", 1}}, .env = {}});
  daemon->apply(people_activation("a", "emarsys", all_people_fields()));
  daemon->apply(people_activation("b", "emarsys", all_people_fields()));
  CHECK(daemon->ctl_json({"run", "a"}).at("queued") == false);
  CHECK(daemon->ctl_json({"run", "b"}).at("queued") == true);
  const json status = daemon->ctl_json({"status"});
  CHECK(status.at("activations").at("running") == 1);
  CHECK(status.at("activations").at("queued") == 1);
  CHECK(daemon->ctl_json({"list"}).at("activations").at(1).at("activity") == "queued");

  const json b = daemon->run("b");  // joins the queued run and waits for it
  const json a = latest_run(*daemon, "a");
  CHECK(a.at("status") == "succeeded");
  CHECK(b.at("status") == "succeeded");
  CHECK(b.at("started_at").get<std::string>() >= a.at("finished_at").get<std::string>());
}

TEST_CASE("reload swaps in a good config, refuses a bad one with the reason and keeps the old; "
          "SIGHUP too; the audit log records who did it",
          "[operations]") {
  PeopleSync s("e2e_reload", 50);
  s.daemon.apply(people_activation("people", "emarsys", all_people_fields()));
  const json good = json::parse(read_text_file(s.daemon.config_path()));

  // What a reload may change is unit-tested (check_reload); here, a refusal
  // of each kind reaches emsyncctl with its reason.
  write_text_file(s.daemon.config_path(), "{ not json");
  auto refused = s.daemon.ctl({"reload"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.stderr_text.find("reload refused, the old config keeps running") !=
        std::string::npos);
  CHECK(refused.stderr_text.find("emsyncd.json") != std::string::npos);

  json bad = good;
  bad["destinations"] = {{"elsewhere", good.at("destinations").at("emarsys")}};
  write_text_file(s.daemon.config_path(), bad.dump());
  refused = s.daemon.ctl({"reload"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.stderr_text.find("activation 'people': destination 'emarsys' is not in the "
                                 "config") != std::string::npos);

  bad = good;
  bad["destinations"]["emarsys"]["secret_file"] = "/nonexistent/secret";
  write_text_file(s.daemon.config_path(), bad.dump());
  refused = s.daemon.ctl({"reload"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.stderr_text.find("/nonexistent/secret") != std::string::npos);

  // Whatever was refused, the old config still runs.
  CHECK(s.daemon.ctl_json({"status"}).at("config_generation") == 1);
  CHECK(s.daemon.run("people").at("status") == "succeeded");
  CHECK(s.sim.contacts().size() == 50);

  // A good one: a new destination, and a higher concurrency limit.
  json better = good;
  better["max_concurrent_runs"] = 2;
  better["destinations"]["second"] = good.at("destinations").at("emarsys");
  write_text_file(s.daemon.config_path(), better.dump());
  const json reloaded = s.daemon.ctl_json({"reload"});
  CHECK(reloaded.at("config_generation") == 2);
  json status = s.daemon.ctl_json({"status"});
  CHECK(status.at("config_generation") == 2);
  CHECK(status.at("max_concurrent_runs") == 2);
  s.daemon.apply(people_activation("second-people", "second", all_people_fields()));

  // SIGHUP: a bad config is refused (logged), a good one is loaded.
  write_text_file(s.daemon.config_path(), "[]");
  s.daemon.process().send_signal(SIGHUP);
  REQUIRE(wait_until([&] { return s.daemon.log().find("reload refused") != std::string::npos; }));
  CHECK(s.daemon.ctl_json({"status"}).at("config_generation") == 2);
  write_text_file(s.daemon.config_path(), better.dump());
  s.daemon.process().send_signal(SIGHUP);
  REQUIRE(wait_until(
      [&] { return s.daemon.ctl_json({"status"}).at("config_generation") == 3; }));

  // Newest first: the two SIGHUPs (no peer), the apply, the reload by emsyncctl.
  const json entries = s.daemon.ctl_json({"audit"}).at("entries");
  INFO(entries.dump(2));
  REQUIRE(entries.size() >= 5);
  CHECK(entries.at(0).at("method") == "reload");
  CHECK(entries.at(0).at("outcome") == "ok");
  CHECK(entries.at(0).at("peer_uid") == -1);
  CHECK(entries.at(0).at("detail").get<std::string>().rfind("SIGHUP: ", 0) == 0);
  CHECK(entries.at(1).at("method") == "reload");
  CHECK(entries.at(1).at("outcome") == "invalid_input");
  CHECK(entries.at(2).at("method") == "apply");
  CHECK(entries.at(2).at("target") == "second-people");
  CHECK(entries.at(2).at("peer_uid") == static_cast<int>(::getuid()));
  CHECK(entries.at(2).at("peer_gid") == static_cast<int>(::getgid()));
  CHECK(entries.at(2).at("peer_pid").get<int>() > 0);
  CHECK(entries.at(3).at("method") == "reload");
  CHECK(entries.at(3).at("outcome") == "ok");
  CHECK(entries.at(3).at("peer_uid") == static_cast<int>(::getuid()));
  bool refused_reload_audited = false;
  for (std::size_t i = 4; i < entries.size(); ++i) {
    refused_reload_audited |= entries[i].at("method") == "reload" && entries[i].at("outcome") != "ok";
  }
  CHECK(refused_reload_audited);
  const auto human = s.daemon.ctl({"audit", "--limit", "3"});
  CHECK(human.stdout_text.find("root (0)") != std::string::npos);
}

TEST_CASE("SIGTERM during a run exits 0 within the bound; the run is cancelled and the next "
          "start finishes the job",
          "[operations]") {
  SlowSync s("e2e_sigterm", 8000);
  {
    auto daemon = s.start({.extra_config = {{"shutdown_timeout_s", 5}}, .env = {}});
    daemon->apply(people_activation("people", "emarsys", all_people_fields()));
    REQUIRE(daemon->ctl({"run", "people"}).exit_code == 0);
    wait_for_progress(*daemon, 1000);
    const auto asked = std::chrono::steady_clock::now();
    daemon->process().send_signal(SIGTERM);
    CHECK(daemon->process().wait(10s) == 0);
    CHECK(std::chrono::steady_clock::now() - asked < 6s);
    const std::string status =
        daemon->state_rows("SELECT status FROM runs ORDER BY id DESC LIMIT 1").at(0);
    CHECK(status == "cancelled");
  }
  auto daemon = s.start();
  const json next = daemon->run("people");
  CHECK(next.at("status") == "succeeded");
  CHECK(next.at("unchanged").get<std::int64_t>() >= 1000);
  check_simulator_holds_people(s.sim, 8000);
}

namespace {

// The activation "people" whose query sleeps 60 s in the server, started.
void start_sleeping_run(Daemon& daemon) {
  json stuck = people_activation("people", "emarsys", all_people_fields());
  stuck["query"] = "SELECT email, first_name, last_name, city FROM people, pg_sleep(60) WHERE active";
  daemon.apply(stuck);
  REQUIRE(daemon.ctl({"run", "people"}).exit_code == 0);
  REQUIRE(wait_until([&] { return status_run(daemon).is_object(); }));
  // The query is running once the run has its field plan (apply's check took
  // a token of the 60-a-minute rate limit, so the run waits up to a second).
  REQUIRE(wait_until([] {
    return PgCluster::shared().query(
               "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
               "'%pg_sleep(60)%' AND pid <> pg_backend_pid()") == "1";
  }));
}

// Whether the server soon runs no query with pg_sleep(60) (it was cancelled,
// not left running after emsync let go of it).
bool no_query_sleeps() {
  return wait_until(
      [] {
        return PgCluster::shared().query(
                   "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                   "'%pg_sleep(60)%' AND pid <> pg_backend_pid()") == "0";
      },
      5s);
}

}  // namespace

TEST_CASE("cancel while the model query runs stops it in the server at once", "[operations]") {
  SlowSync s("e2e_cancel_query", 10);
  auto daemon = s.start();
  start_sleeping_run(*daemon);
  const auto asked = std::chrono::steady_clock::now();
  CHECK(daemon->ctl({"cancel", "people"}).exit_code == 0);  // returns once the run has ended
  CHECK(std::chrono::steady_clock::now() - asked < 3s);
  CHECK(latest_run(*daemon, "people").at("status") == "cancelled");
  CHECK(s.sim.contacts().empty());
  CHECK(no_query_sleeps());
}

TEST_CASE("SIGTERM while the model query runs cancels it in the server and exits 0 at once",
          "[operations]") {
  SlowSync s("e2e_sigterm_query", 10);
  auto daemon = s.start({.extra_config = {{"shutdown_timeout_s", 30}}, .env = {}});
  start_sleeping_run(*daemon);
  const auto asked = std::chrono::steady_clock::now();
  daemon->process().send_signal(SIGTERM);
  CHECK(daemon->process().wait(10s) == 0);
  CHECK(std::chrono::steady_clock::now() - asked < 3s);
  CHECK(daemon->state_rows("SELECT status FROM runs").at(0) == "cancelled");
  CHECK(daemon->log().find("did not reach a batch boundary") == std::string::npos);
  CHECK(s.sim.contacts().empty());
  CHECK(no_query_sleeps());
}

TEST_CASE("SIGTERM while the source answers nothing, not even a cancel, exits 0 after "
          "shutdown_timeout_s",
          "[operations]") {
  SlowSync s("e2e_sigterm_stuck", 10);
  auto daemon = s.start({.extra_config = {{"shutdown_timeout_s", 2}}, .env = {}});
  start_sleeping_run(*daemon);
  // The query's backend stopped (SIGSTOP) cannot act on the cancel request.
  const std::string backend = PgCluster::shared().query(
      "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' "
      "AND pid <> pg_backend_pid()");
  REQUIRE(!backend.empty());
  const pid_t pid = std::stoi(backend);
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{pid};
  const auto asked = std::chrono::steady_clock::now();
  daemon->process().send_signal(SIGTERM);
  CHECK(daemon->process().wait(10s) == 0);
  const auto took = std::chrono::steady_clock::now() - asked;
  CHECK(took >= 2s);
  CHECK(took < 5s);
  CHECK(daemon->state_rows("SELECT status FROM runs").at(0) == "cancelled");
  CHECK(daemon->log().find("did not reach a batch boundary within 2 s") != std::string::npos);
  CHECK(s.sim.contacts().empty());
}

namespace {

// Receives sd_notify datagrams on a private NOTIFY_SOCKET, reading all the
// time (sd_notify blocks once about 10 datagrams sit unread).
class NotifyListener {
 public:
  explicit NotifyListener(std::filesystem::path path) : m_path(std::move(path)) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", m_path.c_str());
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval timeout{0, 100000};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    m_reader = std::thread([this] { read_all(); });
  }
  ~NotifyListener() {
    m_stop = true;
    m_reader.join();
    ::close(m_fd);
  }

  const std::filesystem::path& path() const { return m_path; }
  // How many datagrams contained the line `assignment` so far.
  int count(const std::string& assignment) const {
    std::lock_guard lock(m_mutex);
    int n = 0;
    for (const auto& message : m_messages) {
      n += ("\n" + message + "\n").find("\n" + assignment + "\n") != std::string::npos;
    }
    return n;
  }
  std::string all() const {
    std::lock_guard lock(m_mutex);
    std::string text;
    for (const auto& message : m_messages) {
      text += message + "\n---\n";
    }
    return text;
  }

 private:
  void read_all() {
    char buffer[4096];
    while (!m_stop) {
      const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        std::lock_guard lock(m_mutex);
        m_messages.emplace_back(buffer, static_cast<std::size_t>(n));
      }
    }
  }

  std::filesystem::path m_path;
  int m_fd = -1;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  std::vector<std::string> m_messages;
  std::thread m_reader;
};

}  // namespace

TEST_CASE("systemd notifications: READY=1 once the socket answers, WATCHDOG=1 while running, "
          "STOPPING=1 on SIGTERM",
          "[operations]") {
  TempDir dir("emsync-notify");
  Simulator sim;
  NotifyListener listener(dir.path() / "notify.sock");
  auto daemon = std::make_unique<Daemon>(
      dir, json::object(), json{{"emarsys", wsse_destination(sim, dir, std::nullopt)}},
      DaemonOptions{.extra_config = json::object(), .env = {{"NOTIFY_SOCKET", listener.path().string()},
                            {"WATCHDOG_USEC", "2000000"}}});
  // Daemon's constructor returned after a successful ping: READY=1 was sent before.
  REQUIRE(wait_until([&] { return listener.count("READY=1") >= 1; }, 5s));
  // Two pings a tick apart show the scheduler loop pings as it turns.
  REQUIRE(wait_until([&] { return listener.count("WATCHDOG=1") >= 2; }, 10s));
  INFO(listener.all());
  CHECK(listener.all().find("STATUS=") != std::string::npos);
  CHECK(daemon->process().terminate(10s) == 0);
  CHECK(listener.count("STOPPING=1") == 1);
}

TEST_CASE("a client without permission on the socket is refused with exit code 4",
          "[operations]") {
  PeopleSync s("e2e_denied", 1);
  // The directory lets anyone reach the socket; the socket's 0660 mode is what refuses.
  ::chmod(s.dir.path().c_str(), 0755);
  struct stat socket_stat {};
  REQUIRE(::stat(s.daemon.socket_path().c_str(), &socket_stat) == 0);
  CHECK((socket_stat.st_mode & 0777) == 0660);
  const auto denied = run_command(
      {"runuser", "-u", "nobody", "--", EMSYNCCTL_PATH, "--socket", s.daemon.socket_path(), "ping"});
  INFO(denied.stderr_text);
  CHECK(denied.exit_code == 4);
  CHECK(denied.stderr_text.find("ermission denied") != std::string::npos);
  CHECK(s.daemon.ctl({"ping"}).exit_code == 0);
}

TEST_CASE("every emsyncctl command documents itself with --help", "[operations]") {
  for (const char* command : {"ping", "status", "list", "show", "apply", "delete", "run", "cancel",
                              "pause", "resume", "runs", "errors", "explain", "reload",
                              "audit"}) {
    INFO(command);
    const auto help = run_command({EMSYNCCTL_PATH, command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.stdout_text.find(command) != std::string::npos);
    CHECK(help.stdout_text.find("--json") != std::string::npos);
  }
  const auto top = run_command({EMSYNCCTL_PATH, "--help"});
  CHECK(top.exit_code == 0);
  for (const char* command : {"status", "cancel", "reload", "audit"}) {
    CHECK(top.stdout_text.find(command) != std::string::npos);
  }
}

}  // namespace emsync::test
