// What a run would do, found without doing it (`emsyncctl preview`): the
// model read and diffed exactly as a run reads and diffs it (run.hpp:
// preview_run), nothing sent, nothing stored.
//
// Values are shown as text: a string as it is, any other JSON value (a
// number, a multi-choice array) as its JSON text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/state_store.hpp"

namespace emsync::sync {

// One mapped column: how many contacts the run would give a new value, and
// how many it would clear the field of (a NULL where emsync sent a value).
struct FieldPreview {
  std::string column;
  std::int64_t field_id = 0;  // 0 when it would be created
  std::string field_name;     // the custom field the run would create, else ""
  std::int64_t set = 0;
  std::int64_t cleared = 0;
};

// One changed field of a sampled contact.
struct SampleField {
  std::string column;
  std::int64_t field_id = 0;  // 0 when the field would be created
  std::optional<std::string> new_value;  // nullopt: the run would clear it
  std::optional<std::string> current;    // in Emarsys now; nullopt: empty or not known
};

// A contact the run would send, with what it would change.
struct SampleContact {
  std::string email;
  bool known = false;       // emsync sent it before (else new to emsync)
  bool in_emarsys = false;  // Emarsys has it (POST /contact/getdata found it)
  std::vector<SampleField> fields;
};

// What the next run of a list activation would do to its contact list
// (list_run.hpp), besides the counts RunPreview shares with the contacts
// mode (rows_read, unchanged, rejected, duplicates, the stops).
struct ListPreview {
  std::string list{};        // config::describe of the activation's list: "name 'VIP'", "id 12"
  std::int64_t list_id = 0;  // 0: a list given by name that the run would create
  std::int64_t members = 0;  // members emsync added and manages now
  std::int64_t add = 0;      // emails of the model the run would add
  std::int64_t remove = 0;   // managed members that left the model, to be removed
  std::int64_t parked = 0;   // emails skipped as parked (counted in `rejected` too)
  std::vector<std::string> add_sample{};     // the first emails it would add
  std::vector<std::string> remove_sample{};  // the first members it would remove
};

struct RunPreview {
  store::RunRead read;  // how the run would read its model
  std::int64_t rows_read = 0;
  std::int64_t new_contacts = 0;  // would be sent, never sent by emsync
  std::int64_t changed = 0;       // would be sent, sent before
  std::int64_t unchanged = 0;
  std::int64_t rejected = 0;
  std::map<std::string, std::int64_t> rejected_by_reason;  // code -> rows
  std::int64_t duplicate_rows = 0;    // rejected as duplicate_email
  std::int64_t duplicate_emails = 0;  // emails found in several rows
  std::vector<FieldPreview> fields;   // in the order of mapped_columns()
  // Why the run would stop before sending, or nullopt when it would not:
  // the safety valve (safety_valve.hpp) and max_rejected_percent
  // (data_quality.hpp).
  std::optional<std::string> safety_valve_stop;
  std::optional<std::string> rejected_share_stop;
  std::vector<std::string> warnings;  // the rejections a run's report would warn of
  std::vector<SampleContact> sample;  // the first contacts the run would send
  // Why the current values of the sample could not be read, or nullopt.
  std::optional<std::string> sample_error;
  // Set for a list activation (new_contacts, changed, fields and sample stay
  // empty: a list run writes no contact).
  std::optional<ListPreview> list;
};

}  // namespace emsync::sync
