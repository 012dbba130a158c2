// One contact's story (`emsyncctl explain`): what the state DB remembers of
// it and what the model returns for it now, diffed as a run would diff it.
//
// The email is normalised as a run normalises it (email.hpp); the state DB
// is looked up by its hash, the last run's rows by the email or, under
// rejected_row_keys hashed, by its hashed key (row_key.hpp). The model is
// read once, for this email only: the model wrapped with
// LOWER(TRIM(<email column>)) = <the email>, bound as a parameter
// (source::EmailFilter); the rows it returns are normalised again and
// compared exactly, so a database's looser LOWER selects nothing extra. A
// value that exceeds what one row may hold is read as any other here (the
// run would reject its row as value_too_large).
//
// A list activation's contact (config::Mode::list) has no stored fields:
// its story says whether it is a member emsync added (list_member), and the
// next run adds it (in the model, no member), removes it (a member the model
// no longer has), leaves it (a member in the model, or neither), rejects its
// repeated rows or skips it as parked. Emarsys is not asked.
//
// Sends nothing and stores nothing: Emarsys is only asked for its fields
// (GET /field), to plan them as a run does; a custom attribute whose field
// does not exist yet leaves the field diff out (the next run creates it).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sync/run_inputs.hpp"

namespace emsync::sync {

struct ExplainRequest {
  std::int64_t activation_id = 0;
  config::Activation activation{};
  std::string email;           // as given: normalised here
  bool hash_row_keys = false;  // the config's rejected_row_keys is hashed
  int park_after = 0;          // the config's park_after_rejections (0: never)
};

// What the next run does with one mapped field of the contact.
enum class FieldChange {
  new_value,  // never sent (or the contact is new): sent
  changed,    // sent before with another value: sent
  unchanged,  // the value sent before: not sent
  cleared,    // sent before, NULL now: "" is sent
  not_sent,   // NULL, and never sent: left alone
};
const char* to_string(FieldChange change);  // "new", "changed", "unchanged", "cleared", "not_sent"

struct FieldStory {
  std::string column;
  std::int64_t field_id = 0;
  bool stored = false;  // a hash of an acknowledged value is stored
  FieldChange change = FieldChange::not_sent;
  std::optional<std::string> value;  // the JSON text the next run sends, when it sends one
};

// What the next run would do with the contact.
enum class NextRun {
  send,          // its changed fields (a new contact: all), `fields` says which
  unchanged,     // nothing to send
  rejected,      // the run rejects its row: `next_code`, `next_message`
  parked,        // skipped: Emarsys rejected the same data park_after runs in a row
  not_in_model,  // the model does not return it (a full run drops its state)
  unknown,       // its fields could not be planned: `next_message` says why
  add,           // list activations: it joins the list
  remove,        // list activations: it leaves the list (it left the model)
};
const char* to_string(NextRun next);

struct ContactStory {
  std::string email;  // normalised
  // What Emarsys last acknowledged, when emsync knows the contact.
  std::optional<store::ContactState> stored;
  // List activations: the run that added it (0: no member, or added before
  // schema 15).
  std::int64_t added_by_run = 0;
  // The run that sent it (of a list activation: that added it), while the
  // run history keeps it.
  std::optional<store::RunRecord> acknowledged_run;
  // Its rejection streak, when it reached park_after.
  std::optional<store::RejectionStreak> parked;
  std::optional<store::RunRecord> last_run;     // the activation's latest run that started
  std::vector<store::Rejection> last_run_rows;  // its rows in that run, of every kind
  std::int64_t model_rows = 0;                  // rows of the model with this email
  NextRun next = NextRun::unknown;
  // List activations: whether it is a member emsync added (and manages);
  // nullopt for contacts activations.
  std::optional<bool> list_member;
  std::string next_code;     // rejected: e.g. "duplicate_email", "invalid_value"
  std::string next_message;  // rejected, unknown: why
  std::vector<FieldStory> fields;  // per mapped field; empty unless the row was diffed
};

// Fails (Errc::invalid_input) for an email that is not valid as a run reads
// it, and with the source's or Emarsys' error when one cannot be read.
// `request` and `resources` must outlive the call.
boost::asio::awaitable<Result<ContactStory>> explain_contact(const ExplainRequest& request,
                                                             const RunResources& resources);

}  // namespace emsync::sync
