// emsyncctl: the admin CLI of emsyncd. Each command is one request of
// lib/admin/PROTOCOL.md; its result is printed as a table or "key: value"
// lines, or with --json as one JSON document (an error too:
// {"error":{"code":...,"message":...}} on stdout).
//
// Exit codes: 0 ok, 1 the daemon reported an error or a waited-for run
// failed (or was cancelled or interrupted), 2 usage, 3 daemon not reachable,
// 4 permission denied (on the socket, or a command that needs an operator),
// 5 a waited-for run finished partial.
#include <CLI/CLI.hpp>
#include <algorithm>
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
#include <string_view>
#include <utility>
#include <vector>

#include "admin/client.hpp"
#include "ctl_output.hpp"

namespace {

namespace ctl = emsync::ctl;
using emsync::Errc;
using emsync::Result;
using nlohmann::json;

// The error codes of emsyncctl's own failures under --json (the daemon's
// are those of lib/admin/PROTOCOL.md).
constexpr const char* k_code_usage = "usage";
constexpr const char* k_code_unreachable = "unreachable";

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
  int limit = 20;        // runs --limit
  int audit_limit = 50;  // audit --limit (its own: every command's options are declared up front)
  std::int64_t run_id = -1;  // < 0: the latest run
  int page_limit = 0;        // errors --limit; 0: the daemon's default (100)
  int sample_limit = 10;     // preview --limit
  std::int64_t offset = 0;   // errors --offset
  std::string kind;          // errors --kind; empty: every kind
  std::string email;         // explain
  bool no_check = false;     // apply --no-check
  bool empty_list = false;   // delete --empty-list
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
  return json{{"activations", parsed->is_array() ? *parsed : json::array({*parsed})},
              {"check", !args.no_check}};
}

void declare_apply(CLI::App& sub, Args& args) {
  sub.add_option("FILE", args.file, "activation object or array, or - for stdin")->required();
  sub.add_flag("--no-check", args.no_check,
               "store them without checking the model, the fields and the list against the "
               "source and Emarsys");
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

void declare_delete(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_flag("--empty-list", args.empty_list,
               "a list activation: first remove from its Emarsys list the members emsync added "
               "(without it the list is left as it is)");
}

Result<json> delete_params(const Args& args) {
  return json{{"name", args.name}, {"empty_list", args.empty_list}};
}

void declare_preview(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_option("--limit", args.sample_limit,
                 "show at most this many contacts it would send, with their current values "
                 "(of a list activation: emails it would add, and members it would remove)")
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
  sub.add_option("--run", args.run_id, "run id [default: the latest run]")
      ->check(k_non_negative);
  sub.add_option("--kind", args.kind, "only the rows of this kind [default: all]")
      ->check(CLI::IsMember({"rejected", "failed", "not_found"}));
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
  if (!args.kind.empty()) {
    params["kind"] = args.kind;
  }
  return params;
}

// The next page is the same command with --run and --offset.
void print_errors(const Args& args, const json& result) {
  std::string command = "emsyncctl errors " + args.name;
  if (args.page_limit > 0) {
    command += " --limit " + std::to_string(args.page_limit);
  }
  if (!args.kind.empty()) {
    command += " --kind " + args.kind;
  }
  ctl::print_errors(result, args.name, command);
}

void declare_explain(CLI::App& sub, Args& args) {
  add_name(sub, args);
  sub.add_option("EMAIL", args.email, "the contact's email")->required();
}

Result<json> explain_params(const Args& args) {
  return json{{"name", args.name}, {"email", args.email}};
}

void declare_audit(CLI::App& sub, Args& args) {
  sub.add_option("--limit", args.audit_limit, "at most this many entries, newest first")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

Result<json> audit_params(const Args& args) { return json{{"limit", args.audit_limit}}; }

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
  {"delete", "delete an activation and its stored contact state (a list activation's Emarsys "
             "list is left as it is, unless --empty-list)",
   declare_delete, delete_params, print<ctl::print_action>, nullptr},
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
  {"errors", "list the rows a run rejected, failed or did not find (--kind), with the run's "
             "error, a page at a time (--limit, --offset)",
   declare_errors, errors_params, print_errors, nullptr},
  {"explain", "one contact's story: what emsync stored of it, the last run's verdict, and what "
              "the next run would send, field by field (reads the model for that email)",
   declare_explain, explain_params, print<ctl::print_explain>, nullptr},
  {"retry", "send an activation's parked contacts again (Emarsys rejected them with the same "
            "error for the same data park_after_rejections runs in a row)",
   add_name, name_params, print<ctl::print_unparked>, nullptr},
  {"reload", "re-read the daemon's config file; a bad config is refused (exit 1) with the "
             "reason and the old one keeps running",
   no_args, no_params, print<ctl::print_reloaded>, nullptr},
  {"audit", "list the state-changing commands sent to the daemon, who sent them and how "
            "they ended, newest first",
   declare_audit, audit_params, print_audit, nullptr},
};
// clang-format on

// An error: "emsyncctl: MESSAGE" on stderr, or with --json
// {"error":{"code":CODE,"message":MESSAGE}} on stdout. Returns `exit_code`.
int fail(bool as_json, const std::string& code, const std::string& message, int exit_code) {
  if (as_json) {
    const json error{{"error", {{"code", code}, {"message", message}}}};
    std::cout << error.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  } else {
    std::cerr << "emsyncctl: " << message << '\n';
  }
  return exit_code;
}

// The edit distance between `a` and `b` (optimal string alignment: an
// insertion, deletion, substitution or swap of two neighbours costs 1).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// What to say about `word`, which is no command: the nearest command of
// k_commands (at most 2 edits away) as a suggestion.
std::string unknown_command(const std::string& word) {
  constexpr std::size_t k_max_edits = 2;
  const char* nearest = nullptr;
  std::size_t best = k_max_edits + 1;
  for (const Command& command : k_commands) {
    if (const std::size_t distance = edit_distance(word, command.name); distance < best) {
      best = distance;
      nearest = command.name;
    }
  }
  return "unknown command '" + word + "'" +
         (nearest ? std::string("; did you mean '") + nearest + "'?" : std::string()) +
         "\nRun with --help for the commands.";
}

// The first word of the command line that is neither an option of `app`
// nor an option's value: the command asked for ("" when there is none).
std::string command_word(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--") {
      return i + 1 < argc ? argv[i + 1] : "";
    }
    if (word.size() < 2 || word.front() != '-') {
      return std::string(word);
    }
    const bool long_name = word.starts_with("--");
    if (word.find('=') != std::string_view::npos || (!long_name && word.size() > 2)) {
      continue;  // --socket=PATH, -t5: the value is attached
    }
    const CLI::Option* option = app.get_option_no_throw(std::string(word));
    if (option != nullptr && option->get_expected_max() > 0) {
      ++i;  // its value
    }
  }
  return "";
}

// Whether --json is on the command line, for the errors of a command line
// that did not parse.
bool json_asked(int argc, char** argv) {
  for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    if (std::string_view(argv[i]) == "--json") {
      return true;
    }
  }
  return false;
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
    return fail(args.json, emsync::to_string(params.error().code), params.error().message,
                k_exit_failed);
  }
  emsync::admin::Request request{command.name, std::move(*params)};
  auto reply = emsync::admin::call(args.socket, request, timeout_of(args));
  if (!reply) {
    switch (const std::string& message = reply.error().message; reply.error().code) {
      case Errc::not_found:
        return fail(args.json, k_code_unreachable, message, k_exit_unreachable);
      case Errc::auth_failed:
        return fail(args.json, emsync::admin::k_permission_denied, message, k_exit_denied);
      default:
        return fail(args.json, emsync::to_string(reply.error().code), message, k_exit_failed);
    }
  }
  if (!reply->ok) {
    const std::string& code = reply->error_code;
    return fail(args.json, code, args.json ? reply->error_message
                                           : reply->error_message + " (" + code + ")",
                code == emsync::admin::k_permission_denied ? k_exit_denied : k_exit_failed);
  }
  if (args.json) {
    std::cout << reply->result.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  } else {
    command.print(args, reply->result);
  }
  return command.exit_code ? command.exit_code(args, reply->result) : k_exit_ok;
}

// The exit codes, at the end of every --help (and so in the man page
// emsyncctl(1), which help2man makes of `emsyncctl --help`).
constexpr const char* k_exit_codes_help =
    "Exit codes: 0 ok, 1 error, 2 usage, 3 daemon not reachable, 4 permission denied\n"
    "(run --wait: 1 failed or cancelled, 5 partial).";
// Subcommand help does not list the options of the whole program.
constexpr const char* k_global_options_help =
    "Global options (before or after the command):\n"
    "  --json                      print the daemon's result as JSON (an error too)\n"
    "  --socket PATH               the daemon's control socket [$EMSYNC_SOCKET, "
    "/run/emsyncd/control.sock]\n"
    "  -t,--timeout SECONDS        seconds to wait for the daemon, 0 for no limit\n";

void declare_globals(CLI::App& app, Args& args) {
  app.add_option("--socket", args.socket, "the daemon's control socket")
      ->envname("EMSYNC_SOCKET")
      ->capture_default_str();
  app.add_flag("--json", args.json, "print the daemon's result as JSON");
  app.add_option("-t,--timeout", args.timeout_s,
                 "seconds to wait for the daemon, 0 for no limit [30; none for run --wait]")
      ->check(k_non_negative);
  app.set_version_flag("--version", "emsyncctl " EMSYNC_VERSION);
  app.footer(std::string("Run emsyncctl COMMAND --help for the options of a command.\n") +
             k_exit_codes_help);
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
    sub->footer(std::string(k_global_options_help) + k_exit_codes_help);
    command.declare(*sub, args);
    subcommands.emplace_back(sub, &command);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every parse error is a usage error.
    if (e.get_exit_code() == 0) {
      return app.exit(e);
    }
    const bool as_json = json_asked(argc, argv);
    const std::string word = command_word(app, argc, argv);
    const bool known = std::any_of(std::begin(k_commands), std::end(k_commands),
                                   [&](const Command& command) { return word == command.name; });
    if (!word.empty() && !known) {
      return fail(as_json, k_code_usage, unknown_command(word), k_exit_usage);
    }
    if (as_json) {
      return fail(true, k_code_usage, e.what(), k_exit_usage);
    }
    app.exit(e);
    return k_exit_usage;
  }
  for (const auto& [sub, command] : subcommands) {
    if (sub->parsed()) {
      return execute(*command, args);
    }
  }
  return k_exit_usage;  // unreachable: require_subcommand(1)
}
