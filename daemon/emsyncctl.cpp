// emsyncctl: the admin CLI of emsyncd. Each command is one request of
// lib/admin/PROTOCOL.md; its result is printed as a table or "key: value"
// lines, or with --json as one JSON document.
//
// Exit codes: 0 ok, 1 the daemon reported an error or a waited-for run
// failed (or was cancelled or interrupted), 2 usage, 3 daemon not reachable,
// 4 permission denied (on the socket, or a command that needs an operator),
// 5 a waited-for run finished partial.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <pwd.h>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "admin/client.hpp"
#include "ctl_output.hpp"

namespace {

namespace ctl = emsync::ctl;
using emsync::Errc;
using emsync::Result;
using nlohmann::json;

enum Exit : int {
  k_exit_ok = 0,
  k_exit_failed = 1,
  k_exit_usage = 2,
  k_exit_unreachable = 3,
  k_exit_denied = 4,
  k_exit_partial = 5,
};

// Everything the command line can set; each command reads its own fields.
struct Args {
  std::string socket = "/run/emsyncd/control.sock";
  bool json = false;
  double timeout_s = -1;  // < 0: the default (30 s, or none for run --wait)
  std::string name;
  std::string file;
  bool wait = false;  // only `run` has --wait
  bool full = false;
  bool force = false;
  int limit = 20;
  std::int64_t run_id = -1;  // < 0: the latest run
  int page_limit = 0;        // errors --limit; 0: the daemon's default (100)
  int sample_limit = 10;     // preview --limit
  std::int64_t offset = 0;   // errors --offset
};

struct Command {
  const char* name;  // also the protocol method
  const char* help;
  void (*declare)(CLI::App& sub, Args& args);
  Result<json> (*params)(const Args& args);
  void (*print)(const Args& args, const json& result);     // the human form
  int (*exit_code)(const Args& args, const json& result);  // nullptr: 0
};

// CLI11's NonNegativeNumber names DBL_MAX in its message; this one reads plainly.
const CLI::Validator k_non_negative(
    [](const std::string& value) -> std::string {
      char* end = nullptr;
      const double number = std::strtod(value.c_str(), &end);
      return end != value.c_str() && *end == '\0' && number >= 0
                 ? ""
                 : "must be a number >= 0, not '" + value + "'";
    },
    "NUMBER>=0");

void no_args(CLI::App&, Args&) {}
Result<json> no_params(const Args&) { return json::object(); }
void add_name(CLI::App& sub, Args& args) {
  sub.add_option("NAME", args.name, "activation name")->required();
}
Result<json> name_params(const Args& args) { return json{{"name", args.name}}; }

// Reads FILE (or stdin for "-"): one activation object or an array of them.
Result<json> apply_params(const Args& args) {
  const bool from_stdin = args.file == "-";
  const std::string label = from_stdin ? "<stdin>" : args.file;
  std::ifstream file;
  if (!from_stdin) {
    file.open(args.file);
    if (!file) {
      return emsync::make_error(Errc::io_error, label + ": " + std::strerror(errno));
    }
  }
  std::istream& in = from_stdin ? std::cin : file;
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto parsed = emsync::admin::parse_json(text);
  if (!parsed) {
    return emsync::make_error(Errc::invalid_input, label + ": " + parsed.error().message);
  }
  if (!parsed->is_object() && !parsed->is_array()) {
    return emsync::make_error(Errc::invalid_input,
                              label + ": expected an activation object or an array of them");
  }
  return json{{"activations", parsed->is_array() ? *parsed : json::array({*parsed})}};
}

void declare_apply(CLI::App& sub, Args& args) {
  sub.add_option("FILE", args.file, "activation object or array, or - for stdin")->required();
}

void declare_run(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_flag("--wait", args.wait, "wait for the run to finish; exit with its outcome");
  sub.add_flag("--full", args.full, "send every row, not only changed ones");
  sub.add_flag("--force", args.force,
               "pass the safety valve (empty or shrunken model, mass clearing of fields)");
}

Result<json> run_params(const Args& args) {
  return json{{"name", args.name}, {"full", args.full}, {"force", args.force}, {"wait", args.wait}};
}

void declare_preview(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_option("--limit", args.sample_limit,
                 "show at most this many contacts it would send, with their current values")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  sub.add_flag("--full", args.full, "as `run --full` would: every row, not only changed ones");
}

Result<json> preview_params(const Args& args) {
  return json{{"name", args.name}, {"limit", args.sample_limit}, {"full", args.full}};
}

void print_run(const Args& args, const json& result) {
  args.wait ? ctl::print_run_report(result) : ctl::print_run_started(result);
}

// A waited-for run's status as the process exit code.
int run_exit_code(const Args& args, const json& report) {
  if (!args.wait) {
    return k_exit_ok;
  }
  const json status = report.is_object() ? report.value("status", json()) : json();
  if (status == "succeeded") {
    return k_exit_ok;
  }
  return status == "partial" ? k_exit_partial : k_exit_failed;
}

// A degraded daemon (its state DB cannot be written) exits 1, for scripts.
int status_exit_code(const Args&, const json& status) {
  return status.is_object() && status.value("health", "") == "degraded" ? k_exit_failed
                                                                         : k_exit_ok;
}

void declare_runs(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_option("--limit", args.limit, "at most this many runs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

Result<json> runs_params(const Args& args) {
  return json{{"name", args.name}, {"limit", args.limit}};
}

void declare_errors(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_option("--run", args.run_id, "run id [default: the latest run that has errors]")
      ->check(k_non_negative);
  sub.add_option("--limit", args.page_limit, "at most this many rows [100]")
      ->check(CLI::Range(1, 1000));
  sub.add_option("--offset", args.offset, "skip this many rows [0]")->check(k_non_negative);
}

Result<json> errors_params(const Args& args) {
  json params{{"name", args.name}, {"offset", args.offset}};
  if (args.run_id >= 0) {
    params["run_id"] = args.run_id;
  }
  if (args.page_limit > 0) {
    params["limit"] = args.page_limit;
  }
  return params;
}

// The next page is the same command with --run and --offset.
void print_errors(const Args& args, const json& result) {
  std::string command = "emsyncctl errors " + args.name;
  if (args.page_limit > 0) {
    command += " --limit " + std::to_string(args.page_limit);
  }
  ctl::print_errors(result, command);
}

void declare_audit(CLI::App& sub, Args& args) {
  args.limit = 50;
  sub.add_option("--limit", args.limit, "at most this many entries, newest first")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

Result<json> limit_params(const Args& args) { return json{{"limit", args.limit}}; }

// "alice (1000)", or the bare uid when it has no passwd entry.
std::string user_name(int uid) {
  if (uid < 0) {
    return "-";
  }
  const passwd* entry = ::getpwuid(static_cast<uid_t>(uid));
  return entry ? std::string(entry->pw_name) + " (" + std::to_string(uid) + ")"
               : std::to_string(uid);
}

void print_audit(const Args&, const json& result) { ctl::print_audit(result, user_name); }

// Adapts a ctl_output printer that needs only the result.
template <void (*Print)(const json&)>
void print(const Args&, const json& result) {
  Print(result);
}

// clang-format off
const Command k_commands[] = {
  {"ping", "check that emsyncd answers; print its version and uptime",
   no_args, no_params, print<ctl::print_ping>, nullptr},
  {"status", "daemon version, uptime, health (ok, or degraded with the reason: exit 1), "
             "config, activations by state, runs in progress with rows done, rows/s and ETA",
   no_args, no_params, print<ctl::print_status>, status_exit_code},
  {"apply", "create or update activations from a JSON file (- for stdin)",
   declare_apply, apply_params, print<ctl::print_applied>, nullptr},
  {"list", "list activations with their state and last run",
   no_args, no_params, print<ctl::print_list>, nullptr},
  {"show", "show one activation: definition, state, contacts, last run, incremental reads",
   add_name, name_params, print<ctl::print_show>, nullptr},
  {"delete", "delete an activation and its stored contact state",
   add_name, name_params, print<ctl::print_action>, nullptr},
  {"pause", "stop an activation's schedule from starting it (kept across restarts)",
   add_name, name_params, print<ctl::print_action>, nullptr},
  {"resume", "let an activation's schedule start it again",
   add_name, name_params, print<ctl::print_action>, nullptr},
  {"run", "start a run now (queued behind a running one, or while max_concurrent_runs run)",
   declare_run, run_params, print_run, run_exit_code},
  {"preview", "show what a run would do now (contacts new, changed, unchanged, rejected; "
              "fields set and cleared; the safety checks; a sample with the current values in "
              "Emarsys), sending and storing nothing",
   declare_preview, preview_params, print<ctl::print_preview>, nullptr},
  {"cancel", "stop an activation's run (its model query at once, else at its next batch "
             "boundary) and drop its queued run; waits until the run has ended (acknowledged "
             "contacts stay stored)",
   add_name, name_params, print<ctl::print_cancelled>, nullptr},
  {"runs", "list an activation's runs, newest first",
   declare_runs, runs_params, print<ctl::print_runs>, nullptr},
  {"errors", "list the rows a run rejected, a page at a time (--limit, --offset)",
   declare_errors, errors_params, print_errors, nullptr},
  {"retry", "send an activation's parked contacts again (Emarsys rejected them with the same "
            "error for the same data park_after_rejections runs in a row)",
   add_name, name_params, print<ctl::print_unparked>, nullptr},
  {"reload", "re-read the daemon's config file; a bad config is refused (exit 1) with the "
             "reason and the old one keeps running",
   no_args, no_params, print<ctl::print_reloaded>, nullptr},
  {"audit", "list the state-changing commands sent to the daemon, who sent them and how "
            "they ended, newest first",
   declare_audit, limit_params, print_audit, nullptr},
};
// clang-format on

int fail(const std::string& message, int code) {
  std::cerr << "emsyncctl: " << message << '\n';
  return code;
}

std::chrono::milliseconds timeout_of(const Args& args) {
  if (args.timeout_s >= 0) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(args.timeout_s * 1000));
  }
  // A waited-for run takes as long as it takes.
  return args.wait ? std::chrono::milliseconds(0) : std::chrono::seconds(30);
}

int execute(const Command& command, const Args& args) {
  auto params = command.params(args);
  if (!params) {
    return fail(params.error().message, k_exit_failed);
  }
  emsync::admin::Request request{command.name, std::move(*params)};
  auto reply = emsync::admin::call(args.socket, request, timeout_of(args));
  if (!reply) {
    const Errc code = reply.error().code;
    return fail(reply.error().message, code == Errc::not_found     ? k_exit_unreachable
                                       : code == Errc::auth_failed ? k_exit_denied
                                                                   : k_exit_failed);
  }
  if (!reply->ok) {
    return fail(reply->error_message + " (" + reply->error_code + ")",
                reply->error_code == emsync::admin::k_permission_denied ? k_exit_denied
                                                                        : k_exit_failed);
  }
  if (args.json) {
    std::cout << reply->result.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  } else {
    command.print(args, reply->result);
  }
  return command.exit_code ? command.exit_code(args, reply->result) : k_exit_ok;
}

// Subcommand help does not list the options of the whole program.
constexpr const char* k_global_options_help =
    "Global options (before or after the command):\n"
    "  --json                      print the daemon's result as JSON\n"
    "  --socket PATH               the daemon's control socket [$EMSYNC_SOCKET, "
    "/run/emsyncd/control.sock]\n"
    "  -t,--timeout SECONDS        seconds to wait for the daemon, 0 for no limit\n"
    "Exit codes: 0 ok, 1 error, 2 usage, 3 daemon not reachable, 4 permission denied\n"
    "(run --wait: 1 failed or cancelled, 5 partial).";

void declare_globals(CLI::App& app, Args& args) {
  app.add_option("--socket", args.socket, "the daemon's control socket")
      ->envname("EMSYNC_SOCKET")
      ->capture_default_str();
  app.add_flag("--json", args.json, "print the daemon's result as JSON");
  app.add_option("-t,--timeout", args.timeout_s,
                 "seconds to wait for the daemon, 0 for no limit [30; none for run --wait]")
      ->check(k_non_negative);
  app.set_version_flag("--version", EMSYNC_VERSION);
  app.require_subcommand(1);
  // Inherited by subcommands, so global options may follow the command.
  app.fallthrough();
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "emsyncctl: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  CLI::App app{"emsyncctl: control the emsyncd daemon over its admin socket"};
  declare_globals(app, args);
  std::vector<std::pair<CLI::App*, const Command*>> subcommands;
  for (const Command& command : k_commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    sub->footer(k_global_options_help);
    command.declare(*sub, args);
    subcommands.emplace_back(sub, &command);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every parse error is a usage error.
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  for (const auto& [sub, command] : subcommands) {
    if (sub->parsed()) {
      return execute(*command, args);
    }
  }
  return k_exit_usage;  // unreachable: require_subcommand(1)
}
