// emsyncctl's human-readable output: one printer per command result (the
// shapes of lib/admin/PROTOCOL.md), writing to stdout. Printers tolerate
// missing or null fields (shown as "-") so an older or newer daemon still
// prints something useful.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace emsync::ctl {

void print_ping(const nlohmann::json& result);
// Daemon facts as "key: value" lines, then a table of the runs in progress.
void print_status(const nlohmann::json& result);
// What `cancel` stopped.
void print_cancelled(const nlohmann::json& result);
void print_reloaded(const nlohmann::json& result);
// "12 contact(s) of crm unparked: its next run sends them".
void print_unparked(const nlohmann::json& result);
// The audit log; `user_name` turns a uid into a name.
void print_audit(const nlohmann::json& result, const std::function<std::string(int)>& user_name);
// The applied table; each warning (what could not be checked, an
// activation still auto-paused) as a "warning: ..." line on stderr.
void print_applied(const nlohmann::json& result);
void print_list(const nlohmann::json& result);
void print_show(const nlohmann::json& result);
// {"deleted"|"paused"|"resumed": NAME} as "deleted NAME".
void print_action(const nlohmann::json& result);
// `run` without --wait: "run 12 started" or "run 12 queued behind the running run".
void print_run_started(const nlohmann::json& result);
// A RunReport as "key: value" lines.
void print_run_report(const nlohmann::json& report);
void print_runs(const nlohmann::json& result);
// A preview: the counts, the safety checks and warnings, the fields as a
// table, then the sampled contacts, one line per changed field (current
// value in Emarsys and new value).
void print_preview(const nlohmann::json& preview);
// One page of the rows a run did not settle: the run (its status, and its
// error when it has one), which rows of how many, the table (with each row's
// kind), then how to get the next page (`command` + " --run N --offset M")
// and how many rows the run did not keep. "NAME has no runs yet" when there
// is no run.
void print_errors(const nlohmann::json& result, const std::string& name,
                  const std::string& command);

// One contact's story (`explain`): "key: value" lines, then its fields.
void print_explain(const nlohmann::json& result);

}  // namespace emsync::ctl
