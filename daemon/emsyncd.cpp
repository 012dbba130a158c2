// emsyncd: the emsync daemon. Composition root: reads the config, sets up
// logging, creates the Service on one io_context and runs it until SIGTERM
// or SIGINT; SIGHUP reloads the config.
//
//   emsyncd --config FILE
//   emsyncd --check-config [--connect] FILE
//   emsyncd --check-migrations FILE
//
// The process is made private first (umask 077, no core dumps: see
// core/hardening.hpp).
//
// Exit codes: 0 after a clean stop (and for --help, --version, and a check
// that finds no problem), 1 when it cannot start or a check finds a problem
// (the reason is logged and printed), 2 on a usage error.
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "admin/access.hpp"
#include "config/config.hpp"
#include "core/hardening.hpp"
#include "core/log.hpp"
#include "core/memory.hpp"
#include "service/config_check.hpp"
#include "service/service.hpp"
#include "source/conninfo.hpp"
#include "source/odbc_driver.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"

namespace {

// --help prints k_usage then k_help, laid out for help2man, which makes the
// man page emsyncd(8) of them; a usage error prints k_usage.
constexpr const char* k_usage =
    "Usage: emsyncd --config FILE\n"
    "  or:  emsyncd --check-config [--connect] FILE\n"
    "  or:  emsyncd --check-migrations FILE\n"
    "  or:  emsyncd --version | --help\n";
constexpr const char* k_help =
    "Runs the emsync daemon with the JSON configuration FILE (see README.md).\n"
    "\n"
    "Options:\n"
    "  --config FILE            run the daemon; SIGTERM or SIGINT stop it after the running\n"
    "                           batches, SIGHUP re-reads FILE\n"
    "  --check-config FILE      report every problem of FILE without starting: its keys, the\n"
    "                           secrets it names, the directories of state_db and admin_socket\n"
    "  --connect                with --check-config: also connect to every source and call\n"
    "                           every destination\n"
    "  --check-migrations FILE  report what the next start would migrate in the state DB of\n"
    "                           FILE, changing nothing; fail when the start would refuse it\n"
    "                           (written by a newer emsyncd, or not a database)\n"
    "  --version                print the version\n"
    "  -h, --help               print this help\n"
    "\n"
    "Exit codes: 0 after a clean stop or a check that found no problem, 1 when it cannot\n"
    "start or a check found a problem (each is printed), 2 on a usage error.\n";

int run_daemon(const std::string& config_path) {
  // Before any secret is read or any file created, whoever started it.
  if (auto hardened = emsync::harden_process(); !hardened) {
    std::fprintf(stderr, "emsyncd: %s\n", hardened.error().message.c_str());
    return 1;
  }
  emsync::tune_allocator();
  auto config = emsync::config::load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "emsyncd: %s\n", config.error().message.c_str());
    return 1;
  }
  if (auto logging = emsync::setup_logging(config->log.level, config->log.format); !logging) {
    std::fprintf(stderr, "emsyncd: %s\n", logging.error().message.c_str());
    return 1;
  }
  boost::asio::io_context io(1);
  auto service = emsync::service::Service::create(io, std::move(*config), config_path);
  if (!service) {
    spdlog::critical("cannot start: {}", service.error().message);
    return 1;
  }
  if (auto started = (*service)->start(); !started) {
    spdlog::critical("cannot start: {}", started.error().message);
    return 1;
  }
  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) {
      return;
    }
    spdlog::info("received {}, stopping after the running batches", strsignal(signal));
    (*service)->stop([&] { io.stop(); });
  });
  boost::asio::signal_set reload_signal(io, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup =
      [&](const boost::system::error_code& ec, int) {
        if (ec) {
          return;
        }
        spdlog::info("received SIGHUP, reloading {}", config_path);
        (*service)->reload_in_background();
        reload_signal.async_wait(on_hangup);
      };
  reload_signal.async_wait(on_hangup);
  spdlog::info("emsyncd {} ready", EMSYNC_VERSION);
  io.run();
  if ((*service)->abandoned_runs()) {
    // Their pool threads may be stuck in a query: do not wait for them. The
    // state DB is consistent (WAL) and the runs are recorded cancelled.
    spdlog::warn("emsyncd stopped with runs abandoned");
    spdlog::shutdown();
    std::_Exit(0);
  }
  spdlog::info("emsyncd stopped");
  return 0;
}

// Validates the config file and reports every problem, without starting;
// with `connect`, also connects to every source and destination. Warnings
// (the config works, maybe not as meant) do not fail it.
int check_config(const std::string& config_path, bool connect) {
  auto config = emsync::config::load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "emsyncd: %s\n", config.error().message.c_str());
    return 1;
  }
  int problems = 0;
  const auto problem = [&](const std::string& text) {
    std::fprintf(stderr, "emsyncd: %s\n", text.c_str());
    ++problems;
  };
  for (const auto& [name, source] : config->sources) {
    if (source.type == emsync::config::SourceType::postgres) {
      if (auto warning = emsync::source::sslmode_warning(source.conninfo)) {
        std::fprintf(stderr, "emsyncd: warning: sources.%s: %s\n", name.c_str(), warning->c_str());
      }
    } else if (source.type == emsync::config::SourceType::odbc) {
      if (auto driver = emsync::source::odbc_driver_problem(source.connection_string)) {
        problem("sources." + name + ": " + *driver);
      }
    }
  }
  for (const auto& found : emsync::service::check_surroundings(*config)) {
    problem(found);
  }
  const auto access = emsync::admin::load_access_policy(config->admin.operators_group);
  if (auto warning = emsync::admin::policy_warning(access)) {
    std::fprintf(stderr, "emsyncd: %s: warning: %s\n", config_path.c_str(), warning->c_str());
  }
  if (connect) {
    for (const auto& reached : emsync::service::check_connections(*config)) {
      if (reached.problem) {
        problem(reached.key + ": cannot connect: " + *reached.problem);
      } else {
        std::printf("%s: connected\n", reached.key.c_str());
      }
    }
  }
  if (problems > 0) {
    std::fprintf(stderr, "emsyncd: %s: %d problem(s)\n", config_path.c_str(), problems);
    return 1;
  }
  std::printf("%s: ok\n", config_path.c_str());
  return 0;
}

// Reports what starting on the config's state DB would migrate, reading it
// only. The Debian package's postinst runs it before restarting an upgraded
// daemon, which keeps running on its old binary when this fails.
int check_migrations(const std::string& config_path) {
  auto config = emsync::config::load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "emsyncd: %s\n", config.error().message.c_str());
    return 1;
  }
  const std::string& path = config->state_db;
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (ec) {
    std::fprintf(
        stderr,
        "emsyncd: state_db %s: cannot look at it: %s (run this as root or as the daemon's user)\n",
        path.c_str(), ec.message().c_str());
    return 1;
  }
  if (!exists) {
    std::printf("%s: no state DB yet: the first start creates it\n", path.c_str());
    return 0;
  }
  auto db = emsync::store::Db::open(path, SQLITE_OPEN_READONLY);
  auto plan = db ? emsync::store::plan_migrations(*db)
                 : emsync::Result<emsync::store::MigrationPlan>(db.error());
  if (!plan) {
    std::fprintf(stderr, "emsyncd: %s\n", plan.error().message.c_str());
    return 1;
  }
  if (plan->pending.empty()) {
    std::printf("%s: schema version %d, up to date\n", path.c_str(), plan->current);
    return 0;
  }
  std::string files;
  for (const std::string& file : plan->pending) {
    files += (files.empty() ? "" : ", ") + file;
  }
  std::printf("%s: schema version %d; the next start migrates it to %d (%s)\n", path.c_str(),
              plan->current, plan->latest, files.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("emsyncd %s\n", EMSYNC_VERSION);
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "--config") == 0) {
    return run_daemon(argv[2]);
  }
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(k_usage, stdout);
    std::fputs(k_help, stdout);
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "--check-config") == 0) {
    return check_config(argv[2], false);
  }
  if (argc == 3 && std::strcmp(argv[1], "--check-migrations") == 0) {
    return check_migrations(argv[2]);
  }
  if (argc == 4 && std::strcmp(argv[1], "--check-config") == 0 &&
      std::strcmp(argv[2], "--connect") == 0) {
    return check_config(argv[3], true);
  }
  std::fputs(k_usage, stderr);
  std::fputs("Run emsyncd --help for more information.\n", stderr);
  return 2;
}
