// An activation: a model (SQL query on a source) sent to an Emarsys
// destination on a schedule.
//
//   { "name": "crm-contacts", "source": "warehouse", "destination": "emarsys",
//     "query": "SELECT email, first_name, tier FROM crm.customers",
//     "email_column": "email",
//     "fields": { "first_name": 1, "city": "city" },
//     "custom_attributes": [ "tier", {"column": "note", "type": "largetext"} ],
//     "insert_new_contacts": true,
//     "schedule": "daily 07:00", "timezone": "Europe/Paris",
//     "incremental": {"cursor_column": "updated_at", "lookback": "15m",
//                     "full_every": "1d"} }
//
// Defaults: email_column "email", insert_new_contacts false, schedule
// "manual", timezone "UTC", fields {} and custom_attributes []. The schedule
// and its timezone (an IANA name) are checked by schedule::parse_schedule.
// Unknown keys are errors naming the key. A column may be mapped only once
// (fields and custom_attributes together), and never the email column.
// `incremental` is optional (absent: every run reads the whole model).
//
// A segment as an Emarsys contact list (`"mode": "list"`; the default is
// "contacts", the behaviour above):
//
//   { "name": "vip-fr", "mode": "list", "source": "warehouse",
//     "destination": "emarsys",
//     "query": "SELECT email FROM vip WHERE country = 'FR'",
//     "list": {"name": "VIP France"}, "max_remove_percent": 10 }
//
// `list` is required in this mode and names exactly one of "name" (the list
// is created on the first run when Emarsys has none of that name) or "id"
// (an existing list). The model's emails join the list; emails that leave
// the model leave the list when emsync added them (sync/list_run.hpp).
// Only the email column is read. Keys of the contacts mode are errors in
// list mode, naming the key: fields, custom_attributes, insert_new_contacts
// and on_value_too_long (no field is written), max_clear_percent (no field
// is cleared: max_remove_percent guards removals) and incremental (only a
// whole read of the segment tells who left it). `list` and
// `max_remove_percent` are errors in the contacts mode.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/config.hpp"
#include "core/result.hpp"

namespace emsync::config {

// A reference to an existing Emarsys field: its id, or a name matched with
// string_id first, then name, case-insensitively.
using FieldRef = std::variant<std::int64_t, std::string>;

struct FieldMapping {
  std::string column;
  FieldRef field;
};

struct CustomAttribute {
  std::string column;               // also the Emarsys field name
  std::optional<std::string> type;  // shorttext|longtext|largetext|url|numeric|date
};

// Incremental reads: a run reads only the rows whose cursor column is at
// least the watermark (the highest cursor value of the settled rows of
// earlier runs) minus the lookback; a full read is made at most full_every
// after the last one (sync/read_plan.hpp decides which).
//   {"cursor_column": "updated_at", "lookback": "15m", "full_every": "1d"}
// cursor_column: required, a column of the model of type timestamp, date or
// integer (checked against the model at apply and at each run, not here).
// lookback: a duration ("30s", "15m", "2h", "1d"; 0 allowed) for a timestamp
// or date cursor, or a whole number (0 or more) for an integer cursor; absent
// means 15m, or 0 for an integer cursor. full_every: a duration of at least
// 1 second, or "never"; default "1d".
// The lookback of a timestamp or date cursor when none is given (an integer
// cursor's is 0).
inline constexpr std::chrono::seconds k_default_lookback = std::chrono::minutes(15);

struct Incremental {
  std::string cursor_column;
  // At most one is set: lookback_time when "lookback" is a duration,
  // lookback_count when it is a number; neither when absent.
  std::optional<std::chrono::seconds> lookback_time;
  std::optional<std::int64_t> lookback_count;
  // nullopt: "never".
  std::optional<std::chrono::seconds> full_every = std::chrono::hours(24);

  bool operator==(const Incremental&) const = default;
};

// The canonical text of a duration: the largest of d, h, m, s that divides
// it ("15m", "1d", "90s"); "0s" for zero.
std::string duration_text(std::chrono::seconds duration);

// What a run does with a value longer than its Emarsys text field allows
// (shorttext 60 characters, longtext and url 255): reject the row (the
// contact is not sent), or leave that field out of the contact and send the
// rest (the run counts the values left out and warns).
//   "on_value_too_long": "reject_row" | "skip_field"
enum class OnValueTooLong { reject_row, skip_field };

std::string_view to_string(OnValueTooLong policy);

// What an activation writes: contacts' fields, or the membership of a contact list.
enum class Mode { contacts, list };

std::string_view to_string(Mode mode);  // "contacts", "list"

// The contact list of a list activation: its id, or its name (looked up, and
// created when missing).
using ListRef = std::variant<std::int64_t, std::string>;

// The canonical text of a list reference, as stored with its members
// ("id 123" or "name 'VIP France'"): another one drops them.
std::string describe(const ListRef& list);

struct Activation {
  std::string name;  // [A-Za-z0-9._-]{1,64}
  Mode mode = Mode::contacts;
  std::string source;
  std::string destination;
  std::string query;
  std::string email_column = "email";
  std::vector<FieldMapping> fields;  // by column name (JSON object keys come sorted)
  std::vector<CustomAttribute> custom_attributes;
  bool insert_new_contacts = false;
  std::string schedule = "manual";
  std::string timezone = "UTC";  // IANA name the schedule's times are read in
  // Safety valve: a run that would clear a field on more than this share of
  // the activation's known contacts stops before sending (run --force sends).
  int max_clear_percent = 10;
  // Data-quality rule: a run whose rows rejected before sending (invalid or
  // missing email, duplicate email, a value that does not convert or is too
  // long) are more than this share of the rows read stops before sending
  // anything (run --force sends). A number from 0 to 100, such as 5 or 0.5.
  double max_rejected_percent = 5;
  // Incremental reads, when set.
  std::optional<Incremental> incremental;
  OnValueTooLong on_value_too_long = OnValueTooLong::reject_row;
  // Mode::list only (set exactly then): the list the segment is mirrored into.
  std::optional<ListRef> list;
  // Safety valve of Mode::list: a run that would remove more than this share
  // of the members emsync manages stops before sending (run --force sends).
  int max_remove_percent = 10;
};

// Validates one activation object. Errors start with the activation's name
// when known: "activation 'crm': unknown key 'feilds'". `value` must come
// from a bounded parse (core/json_limits.hpp): it is dumped, which recurses.
Result<Activation> parse_activation(const nlohmann::json& value);
// Accepts one activation object or an array of them (names must be unique).
// Every activation is validated; the error lists every problem.
Result<std::vector<Activation>> parse_activations(std::string_view json_text);
// Checks that the source and destination exist in `config`.
Result<void> check_references(const Activation& activation, const Config& config);

// Canonical JSON (with defaults filled in), as stored and shown. "mode" is
// written for list activations only (with `list` and max_remove_percent, and
// without the keys of the contacts mode), so that the stored text of a
// contacts activation is the same as before list mode existed.
nlohmann::json to_json(const Activation& activation);

}  // namespace emsync::config
