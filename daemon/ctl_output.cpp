#include "ctl_output.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin/table.hpp"

namespace emsync::ctl {
namespace {

using admin::Fields;
using admin::Table;
using nlohmann::json;

// object[key], or null when `object` is not an object or lacks the key.
const json& member(const json& object, const char* key) {
  static const json null;
  if (!object.is_object()) {
    return null;
  }
  auto it = object.find(key);
  return it == object.end() ? null : *it;
}

// One JSON value as a table cell or field value.
std::string text(const json& object, const char* key) {
  const json& value = member(object, key);
  if (value.is_null()) {
    return "-";
  }
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_boolean()) {
    return value.get<bool>() ? "yes" : "no";
  }
  return value.dump();
}

// The array at `key`, or an empty one.
const json& array_at(const json& result, const char* key) {
  static const json empty = json::array();
  const json& value = member(result, key);
  return value.is_array() ? value : empty;
}

struct Column {
  const char* header;
  const char* key;
};

// The rows a list reply left out to stay within the protocol's line limit.
void print_not_shown(const json& result) {
  if (const json& n = member(result, "not_shown"); n.is_number_integer() && n.get<int>() > 0) {
    std::cout << n.dump() << " more not shown: they do not fit in one reply (ask for fewer)\n";
  }
}

// The `runs` table; READ is "full" or "incremental", WATERMARK (the one an
// incremental read started from) is a column only when a run shown has one.
constexpr std::array<Column, 13> k_run_columns{{
    {"RUN", "run_id"},
    {"STATUS", "status"},
    {"STARTED", "started_at"},
    {"FINISHED", "finished_at"},
    {"READ", "read"},
    {"ROWS_READ", "rows_read"},
    {"UNCHANGED", "unchanged"},
    {"UPDATED", "updated"},
    {"INSERTED", "inserted"},
    {"NOT_FOUND", "not_found"},
    {"REJECTED", "rejected"},
    {"FAILED", "failed"},
    {"ERROR", "error"},
}};

constexpr Column k_watermark_column{"WATERMARK", "watermark"};
// Shown when a run shown added or removed list members (list activations).
constexpr std::array<Column, 2> k_list_columns{{{"ADDED", "added"}, {"REMOVED", "removed"}}};

// A RunReport as `run --wait` shows it.
// "added" and "removed" (list activations) only when one is not 0.
constexpr std::array<const char*, 20> k_report_fields{
    "run_id",    "activation", "status",    "full",     "read",      "watermark",
    "read_from", "started_at", "finished_at", "rows_read", "unchanged", "updated",
    "inserted",  "added",      "removed",   "not_found", "rejected",  "failed",
    "cursor_null", "error"};

// `show`'s "incremental" lines, in this order.
constexpr std::array<const char*, 6> k_incremental_fields{
    "cursor_column", "lookback", "full_every", "watermark", "last_full_read_at", "cannot_see"};

void print_table(std::span<const Column> columns, const json& rows) {
  std::vector<std::string> headers;
  for (const Column& column : columns) {
    headers.emplace_back(column.header);
  }
  Table table(std::move(headers));
  for (const json& row : rows) {
    std::vector<std::string> cells;
    for (const Column& column : columns) {
      cells.push_back(text(row, column.key));
    }
    table.add_row(std::move(cells));
  }
  std::cout << table.render();
}

// "12 succeeded" for a last_run, or "-".
std::string run_summary(const json& run) {
  if (!run.is_object()) {
    return "-";
  }
  return text(run, "run_id") + " " + text(run, "status");
}

std::string format_uptime(std::int64_t seconds) {
  std::string out;
  for (auto [unit, size] : {std::pair{"d", 86400}, {"h", 3600}, {"m", 60}}) {
    if (seconds >= size || !out.empty()) {
      out += std::to_string(seconds / size) + unit + " ";
      seconds %= size;
    }
  }
  return out + std::to_string(seconds) + "s";
}

}  // namespace

void print_ping(const json& result) {
  const json& uptime = member(result, "uptime_s");
  std::cout << "emsyncd " << text(result, "version") << ", up "
            << (uptime.is_number_integer() ? format_uptime(uptime.get<std::int64_t>()) : "-")
            << '\n';
}

void print_applied(const json& result) {
  Table table({"NAME", "ACTION"});
  for (const json& entry : array_at(result, "applied")) {
    table.add_row({text(entry, "name"), text(entry, "action")});
  }
  std::cout << table.render();
  for (const json& warning : array_at(result, "warnings")) {
    std::cerr << "warning: " << (warning.is_string() ? warning.get<std::string>() : warning.dump())
              << '\n';
  }
}

// "daily 07:00", or "daily 07:00 Europe/Paris" outside UTC.
std::string schedule_text(const json& activation) {
  const std::string zone = text(activation, "timezone");
  const std::string schedule = text(activation, "schedule");
  return zone == "-" || zone == "UTC" ? schedule : schedule + " " + zone;
}

void print_list(const json& result) {
  Table table({"NAME", "STATE", "NOW", "SCHEDULE", "LAST_RUN", "FINISHED", "NEXT_RUN", "SOURCE",
               "DESTINATION"});
  for (const json& activation : array_at(result, "activations")) {
    const json& last_run = member(activation, "last_run");
    table.add_row({text(activation, "name"), text(activation, "state"),
                   text(activation, "activity"), schedule_text(activation),
                   run_summary(last_run), text(last_run, "finished_at"),
                   text(activation, "next_run"), text(activation, "source"),
                   text(activation, "destination")});
  }
  std::cout << table.render();
  print_not_shown(result);
}

void print_status(const json& result) {
  const json& uptime = member(result, "uptime_s");
  const json& activations = member(result, "activations");
  std::cout << admin::render_fields(
      {{"version", text(result, "version")},
       {"started_at", text(result, "started_at")},
       {"uptime", uptime.is_number_integer() ? format_uptime(uptime.get<std::int64_t>()) : "-"},
       {"health", result.value("health", "") == "degraded"
                      ? "DEGRADED: " + text(result, "degraded_reason")
                      : text(result, "health")},
       {"config", text(result, "config_path") + " (generation " +
                      text(result, "config_generation") + ", loaded " +
                      text(result, "config_loaded_at") + ")"},
       {"activations", text(activations, "total") + " (" + text(activations, "active") +
                           " active, " + text(activations, "paused") + " paused, " +
                           text(activations, "auto_paused") + " auto-paused" +
                           (activations.value("invalid", 0) > 0
                                ? ", " + text(activations, "invalid") + " invalid"
                                : std::string()) +
                           ")"},
       {"runs", text(activations, "running") + " running (at most " +
                    text(result, "max_concurrent_runs") + "), " + text(activations, "queued") +
                    " queued"}});
  const json& runs = array_at(result, "runs");
  if (!runs.empty()) {
    constexpr std::array<Column, 9> k_columns{{{"ACTIVATION", "activation"},
                                               {"RUN", "run_id"},
                                               {"STARTED", "started_at"},
                                               {"PHASE", "phase"},
                                               {"ROWS_READ", "rows_read"},
                                               {"ROWS_DONE", "rows_done"},
                                               {"ROWS/S", "rows_per_s"},
                                               {"ETA_S", "eta_s"},
                                               {"ELAPSED_S", "elapsed_s"}}};
    std::cout << '\n';
    print_table(k_columns, runs);
  }
}

void print_cancelled(const json& result) {
  const std::string name = text(result, "activation");
  if (!member(result, "cancelled_queued_run").is_null()) {
    std::cout << "run " << text(result, "cancelled_queued_run") << " of " << name
              << " cancelled before it started\n";
  }
  const json& run = member(result, "cancelled_run");
  if (run.is_object()) {
    std::cout << "run " << text(run, "run_id") << " of " << name << " ended "
              << text(run, "status") << " after " << text(run, "updated") << " updated, "
              << text(run, "inserted") << " inserted (acknowledged contacts stay stored)\n";
  }
}

void print_unparked(const json& result) {
  std::cout << text(result, "unparked") << " contact(s) of " << text(result, "activation")
            << " unparked: its next run sends them\n";
}

void print_reloaded(const json& result) { std::cout << text(result, "message") << '\n'; }

void print_audit(const json& result, const std::function<std::string(int)>& user_name) {
  Table table({"AT", "USER", "PID", "METHOD", "TARGET", "OUTCOME", "DETAIL"});
  for (const json& entry : array_at(result, "entries")) {
    const json& uid = member(entry, "peer_uid");
    table.add_row({text(entry, "at"),
                   uid.is_number_integer() ? user_name(uid.get<int>()) : "-",
                   text(entry, "peer_pid"), text(entry, "method"), text(entry, "target"),
                   text(entry, "outcome"), text(entry, "detail")});
  }
  std::cout << table.render();
  print_not_shown(result);
}

void print_show(const json& result) {
  Fields fields{{"name", text(result, "name")},
                {"state", text(result, "state")},
                {"auto_paused_reason", text(result, "auto_paused_reason")},
                {"now", text(result, "activity")},
                {"next_run", text(result, "next_run")},
                {"contacts", text(result, "contacts")},
                {"created_at", text(result, "created_at")},
                {"updated_at", text(result, "updated_at")},
                {"last_run", run_summary(member(result, "last_run"))}};
  if (const json& incremental = member(result, "incremental"); incremental.is_object()) {
    for (const char* key : k_incremental_fields) {
      fields.emplace_back(key, text(incremental, key));
    }
  }
  std::cout << admin::render_fields(fields);
  // The definition as indented JSON, after the aligned fields; the text as
  // stored when it does not parse (see lib/store/state_store.hpp).
  if (const json& error = member(result, "definition_error"); error.is_string()) {
    std::cout << "definition (not valid: " << error.get<std::string>() << "):\n  "
              << text(result, "stored_definition") << '\n';
    return;
  }
  std::string definition = member(result, "definition").dump(2);
  for (std::size_t at = definition.find('\n'); at != std::string::npos;
       at = definition.find('\n', at + 1)) {
    definition.insert(at + 1, "  ");
  }
  std::cout << "definition:\n  " << definition << '\n';
}

void print_action(const json& result) {
  for (const auto& [action, name] : result.items()) {
    std::cout << action << ' ' << (name.is_string() ? name.get<std::string>() : name.dump()) << '\n';
  }
}

void print_run_started(const json& result) {
  bool queued = member(result, "queued") == true;
  std::cout << "run " << text(result, "run_id")
            << (queued ? " queued behind the running run" : " started") << '\n';
}

void print_run_report(const json& report) {
  Fields fields;
  for (const char* key : k_report_fields) {
    const std::string_view name = key;
    if ((name == "added" || name == "removed") && member(report, "added") == 0 &&
        member(report, "removed") == 0) {
      continue;  // no list member changed: a contacts run, or a list run with nothing to do
    }
    fields.emplace_back(key, text(report, key));
  }
  for (const json& warning : array_at(report, "warnings")) {
    fields.emplace_back("warning", warning.is_string() ? warning.get<std::string>() : warning.dump());
  }
  std::cout << admin::render_fields(fields);
}

void print_runs(const json& result) {
  const json& runs = array_at(result, "runs");
  std::vector<Column> columns(k_run_columns.begin(), k_run_columns.end());
  if (std::any_of(runs.begin(), runs.end(),
                  [](const json& run) { return member(run, "watermark").is_string(); })) {
    const auto read = std::find_if(columns.begin(), columns.end(), [](const Column& column) {
      return std::string_view(column.key) == "read";
    });
    columns.insert(read + 1, k_watermark_column);
  }
  if (std::any_of(runs.begin(), runs.end(), [](const json& run) {
        return member(run, "added").is_number_integer() &&
               (member(run, "added") != 0 || member(run, "removed") != 0);
      })) {
    const auto inserted = std::find_if(columns.begin(), columns.end(), [](const Column& column) {
      return std::string_view(column.key) == "inserted";
    });
    columns.insert(inserted + 1, k_list_columns.begin(), k_list_columns.end());
  }
  print_table(columns, runs);
  print_not_shown(result);
  // Warnings are sentences: under the table, each with its run.
  for (const json& run : runs) {
    for (const json& warning : array_at(run, "warnings")) {
      std::cout << "run " << text(run, "run_id") << " warning: "
                << (warning.is_string() ? warning.get<std::string>() : warning.dump()) << '\n';
    }
  }
}

namespace {

// "passes", or "WOULD STOP: <reason>".
std::string verdict_text(const json& verdict) {
  return member(verdict, "would_stop") == true ? "WOULD STOP: " + text(verdict, "reason")
                                               : std::string("passes");
}

// "3 (2 invalid_email, 1 duplicate_email)".
std::string rejected_text(const json& preview) {
  std::string reasons;
  const json& by_reason = member(preview, "rejected_by_reason");
  if (by_reason.is_object()) {
    for (const auto& [code, count] : by_reason.items()) {
      reasons += (reasons.empty() ? "" : ", ") + count.dump() + " " + code;
    }
  }
  return text(preview, "rejected") + (reasons.empty() ? "" : " (" + reasons + ")");
}

// The rejections, the verdicts and the warnings of a preview, after its
// counts in `fields`.
void add_verdict_fields(const json& preview, Fields& fields) {
  const json& duplicates = member(preview, "duplicates");
  const json& share = member(preview, "rejected_share");
  fields.insert(fields.end(),
                {{"rejected", rejected_text(preview)},
                 {"duplicates", text(duplicates, "rows") + " rows, " +
                                    text(duplicates, "emails") + " emails"},
                 {"safety valve", verdict_text(member(preview, "safety_valve"))},
                 {"max_rejected_percent",
                  text(share, "max_rejected_percent") + "%: " + verdict_text(share)}});
  for (const json& warning : array_at(preview, "warnings")) {
    fields.emplace_back("warning", warning.is_string() ? warning.get<std::string>() : warning.dump());
  }
}

// A list activation's preview (its "list" object): counts, the verdicts,
// then the emails it would add and remove.
void print_list_preview(const json& preview, const json& list) {
  std::cout << "preview of " << text(preview, "activation") << " (contact list "
            << text(list, "list")
            << (member(list, "would_create") == true ? ", to be created"
                                                     : ", id " + text(list, "list_id"))
            << (member(preview, "full") == true ? ", every member added again as with --full"
                                                : "")
            << "): nothing was sent or stored\n";
  Fields fields{{"rows_read", text(preview, "rows_read")},
                {"members", text(list, "members") + " (added by emsync)"},
                {"add", text(list, "add")},
                {"remove", text(list, "remove")},
                {"unchanged", text(preview, "unchanged")},
                {"parked", text(list, "parked")}};
  add_verdict_fields(preview, fields);
  std::cout << admin::render_fields(fields);
  Table emails({"CHANGE", "EMAIL"});
  bool any = false;
  for (const auto& [change, key] : {std::pair{"add", "add_sample"}, {"remove", "remove_sample"}}) {
    for (const json& email : array_at(list, key)) {
      emails.add_row({change, email.is_string() ? email.get<std::string>() : email.dump()});
      any = true;
    }
  }
  if (!any) {
    std::cout << "\nno email would be added or removed\n";
    return;
  }
  std::cout << "\nthe first emails it would add and remove:\n" << emails.render();
}

}  // namespace

void print_preview(const json& preview) {
  if (const json& list = member(preview, "list"); list.is_object()) {
    print_list_preview(preview, list);
    return;
  }
  const std::string read = text(preview, "read");
  std::cout << "preview of " << text(preview, "activation") << " (a " << read << " read"
            << (member(preview, "full") == true ? ", every row sent as with --full" : "")
            << "): nothing was sent or stored\n";
  Fields fields{{"rows_read", text(preview, "rows_read")},
                {"new", text(preview, "new") + " (never sent by emsync)"},
                {"changed", text(preview, "changed")},
                {"unchanged", text(preview, "unchanged")}};
  if (read == "incremental") {
    fields.insert(fields.begin(), {"read_from", text(preview, "read_from")});
  }
  add_verdict_fields(preview, fields);
  std::cout << admin::render_fields(fields);

  Table table({"COLUMN", "FIELD", "SET", "CLEARED"});
  for (const json& field : array_at(preview, "fields")) {
    const json& create = member(field, "would_create");
    table.add_row({text(field, "column"),
                   create.is_string() ? "'" + create.get<std::string>() + "' (would be created)"
                                      : text(field, "field_id"),
                   text(field, "set"), text(field, "cleared")});
  }
  std::cout << '\n' << table.render();

  const json& sample = array_at(preview, "sample");
  if (sample.empty()) {
    std::cout << "\nno contact would be sent\n";
    return;
  }
  std::cout << "\nthe first " << sample.size()
            << " contact(s) it would send (CURRENT: the value in Emarsys now):\n";
  Table contacts({"EMAIL", "CONTACT", "COLUMN", "CURRENT", "NEW"});
  for (const json& contact : sample) {
    const std::string kind = member(contact, "known") == true ? "changed"
                             : member(contact, "in_emarsys") == true
                                 ? "new (in Emarsys)"
                                 : "new";
    std::string email = text(contact, "email");
    std::string shown_kind = kind;
    for (const json& field : array_at(contact, "fields")) {
      contacts.add_row({email, shown_kind, text(field, "column"),
                        member(contact, "in_emarsys") == true ? text(field, "current")
                                                              : "(not in Emarsys)",
                        member(field, "cleared") == true ? "(cleared)" : text(field, "new")});
      email.clear();  // once per contact
      shown_kind.clear();
    }
  }
  std::cout << contacts.render();
  if (const json& error = member(preview, "sample_error"); error.is_string()) {
    std::cout << "current values unknown: " << error.get<std::string>() << '\n';
  }
  if (const json& n = member(preview, "sample_not_shown");
      n.is_number_integer() && n.get<std::int64_t>() > 0) {
    std::cout << n.dump() << " more not shown: they do not fit in one reply (ask for fewer)\n";
  }
}

void print_errors(const json& result, const std::string& name, const std::string& command) {
  const std::string run = text(result, "run_id");
  const json& report = member(result, "run");
  const json& errors = array_at(result, "errors");
  const json& offset = member(result, "offset");
  const json& not_kept = member(result, "not_kept");
  if (run == "-") {
    std::cout << name << " has no runs yet\n";
    return;
  }
  std::cout << "run " << run << " " << text(report, "status");
  if (const json& error = member(report, "error"); error.is_string()) {
    std::cout << ": " << error.get<std::string>();
  }
  std::cout << '\n';
  const std::string kind = text(result, "kind");
  const std::string rows = kind == "-" || kind == "all" ? "rows" : kind + " rows";
  if (errors.empty()) {
    std::cout << "no " << (kind == "-" || kind == "all" ? "errors" : rows);
    if (offset.is_number_integer() && offset.get<std::int64_t>() > 0) {
      std::cout << " from row " << offset.get<std::int64_t>() + 1 << " on (of "
                << text(result, "total") << ")";
    }
    std::cout << '\n';
  } else {
    if (offset.is_number_integer()) {
      const std::int64_t first = offset.get<std::int64_t>() + 1;
      std::cout << rows << " " << first << "-"
                << first + static_cast<std::int64_t>(errors.size()) - 1 << " of "
                << text(result, "total") << "\n";
    }
    constexpr std::array<Column, 4> k_columns{{{"KIND", "kind"},
                                               {"ROW_KEY", "row_key"},
                                               {"CODE", "code"},
                                               {"MESSAGE", "message"}}};
    print_table(k_columns, errors);
  }
  if (const json& next = member(result, "next_offset"); next.is_number_integer()) {
    std::cout << "more: " << command << " --run " << run << " --offset " << next.dump() << '\n';
  }
  if (not_kept.is_number_integer() && not_kept.get<std::int64_t>() > 0) {
    std::cout << not_kept.dump()
              << " more row(s) not kept: a run keeps the details of its first 10000 "
                 "(its counters have them all)\n";
  }
}

void print_explain(const json& result) {
  const json& stored = member(result, "stored_fields");
  const bool known = member(result, "known") == true;
  std::string acknowledged = known ? "yes" : "no: emsync never had it acknowledged";
  if (const json& run = member(result, "acknowledged_run"); run.is_object()) {
    acknowledged += ", last acknowledged by run " + text(run, "run_id") + " (" +
                    text(run, "status") + ", finished " + text(run, "finished_at") + ")";
  } else if (const json& id = member(result, "acknowledged_by_run"); id.is_number_integer()) {
    acknowledged += ", last acknowledged by run " + id.dump() + " (pruned from the run history)";
  } else if (known) {
    acknowledged += ", acknowledged before emsync kept the run (schema 11)";
  }
  std::string stored_text;
  for (const auto& key : stored.is_array() ? stored : json::array()) {
    stored_text += (stored_text.empty() ? "" : ", ") + key.get<std::string>();
  }
  const json& parked = member(result, "parked");
  std::string last_run = "-";
  if (const json& run = member(result, "last_run"); run.is_object()) {
    last_run = text(run, "run_id") + " (" + text(run, "status") + ")";
    const json& rows = array_at(result, "last_run_rows");
    if (rows.empty()) {
      last_run += ": settled this contact, or did not read it";
    }
    for (const auto& row : rows) {
      last_run += "; " + text(row, "kind") + " " + text(row, "code") + ": " + text(row, "message");
    }
  }
  const json& model_rows = member(result, "model_rows");
  std::string next = text(result, "next_run");
  if (const json& code = member(result, "next_code"); code.is_string()) {
    next += " (" + code.get<std::string>() + ")";
  }
  if (const json& message = member(result, "next_message"); message.is_string()) {
    next += ": " + message.get<std::string>();
  }
  Fields fields{{"contact", text(result, "email")}};
  if (const json& list_member = member(result, "list_member"); list_member.is_boolean()) {
    std::string added = "no: emsync did not add it (or removed it)";
    if (list_member == true) {
      added = "yes: emsync added it to the contact list";
      if (const json& run = member(result, "acknowledged_run"); run.is_object()) {
        added += " in run " + text(run, "run_id") + " (" + text(run, "status") + ", finished " +
                 text(run, "finished_at") + ")";
      } else if (const json& id = member(result, "acknowledged_by_run"); id.is_number_integer()) {
        added += " in run " + id.dump() + " (pruned from the run history)";
      } else {
        added += ", before emsync kept the run (schema 15)";
      }
    }
    fields.emplace_back("list member", added);
  } else {
    fields.emplace_back("known", acknowledged);
    fields.emplace_back("stored fields", stored_text.empty() ? "-" : stored_text);
  }
  fields.insert(fields.end(), {
      {"parked", parked.is_object() ? "yes: Emarsys rejected it with " + text(parked, "code") +
                                          " " + text(parked, "streak") + " runs in a row"
                                    : "no"},
      {"last run", last_run},
      {"in the model", model_rows == 0 ? "no" : "yes, " + model_rows.dump() + " row(s)"},
      {"next run", next}});
  std::cout << admin::render_fields(fields);
  if (!array_at(result, "fields").empty()) {
    constexpr std::array<Column, 5> k_columns{{{"COLUMN", "column"},
                                               {"FIELD", "field_id"},
                                               {"STORED", "stored"},
                                               {"CHANGE", "change"},
                                               {"VALUE", "value"}}};
    print_table(k_columns, array_at(result, "fields"));
  }
}

}  // namespace emsync::ctl
