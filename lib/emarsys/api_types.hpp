// The values the Emarsys calls take and return [pure: plain structs]:
// what a field, a contact list and a per-contact error are, and what the
// requests of one run cost. Shared by the Client (client.hpp), the reply
// parsers (reply_data.hpp) and the ContactApi interface (contact_api.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace emsync::emarsys {

struct Field {
  std::int64_t id = 0;
  std::string name;
  std::string string_id;         // "" when the field has none
  std::string application_type;  // "shorttext", "numeric", "special", ...
};

// One choice of a single- or multi-choice field (GET /field/{id}/choice):
// its id, always as decimal text ("1", also when Emarsys sent an int), and
// its label ("Male").
struct Choice {
  std::string id;
  std::string label;
};

// Which kind of choice field a choice list is read for: the two kinds are
// listed by different endpoints (contact_api.hpp).
enum class ChoiceKind { single, multi };

struct ContactList {
  std::int64_t id = 0;
  std::string name;
};

// A per-contact error from data.errors: the key as sent (the email), the
// replyCode as text ("2008") and its message.
struct ContactError {
  std::string key;
  std::string code;
  std::string message;
};

// Contacts of the request that are not in `errors` were accepted.
struct ContactsResult {
  std::vector<ContactError> errors;
};

// One contact as POST /contact/getdata returns it: the fields asked for, by
// field id as text ("3", "14"), each value as text: a string as it is, any
// other value (a number, a multi-choice array) as its JSON text; nullopt
// when Emarsys holds none (null).
struct ContactData {
  std::map<std::string, std::optional<std::string>> values;
};

// The contacts found, and the keys that were not (2008) or matched several
// contacts (2010).
struct ContactDataResult {
  std::vector<ContactData> contacts;
  std::vector<ContactError> errors;
};

// POST /contactlist/{id}/add or /delete: how many contacts the list gained
// (inserted_contacts) or lost (deleted_contacts), and the per-contact
// errors keyed by the email as sent ("2008": no contact with that email).
struct ListChangeResult {
  std::int64_t changed = 0;
  std::vector<ContactError> errors;
};
// Emails in one add/delete request: Emarsys refuses more with 3002.
inline constexpr std::size_t k_max_list_change_emails = 10000;

// What the requests of one run cost, for its run_finished log line: give
// the same RequestStats to every call of the run. Updated on the executor.
struct RequestStats {
  std::int64_t requests = 0;  // HTTP exchanges, retries included
  std::int64_t http_429 = 0;
  std::int64_t http_5xx = 0;
  std::int64_t transport_errors = 0;  // no reply: connect error, reset, timeout
  std::int64_t retries = 0;
  double ratelimit_wait_seconds = 0;  // held by the API user's rate limiter
};

}  // namespace emsync::emarsys
