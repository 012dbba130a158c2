// The contact list endpoints (emarsys-api.md §5): GET/POST /contactlist,
// POST /contactlist/{id}/add and /delete, GET /contactlist/{id}/count and
// GET /contactlist/{id}/contactIds. Members are named by email (key_id 3);
// a list that does not exist is 404/3006.
#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

#include "sim/api.hpp"

namespace emsync::sim {
namespace {

constexpr std::int64_t k_default_page = 10000;
constexpr std::int64_t k_max_page = 100000;

Json list_to_json(const ContactList& list) {
  return Json{
      {"id", std::to_string(list.id)}, {"name", list.name}, {"created", list.created}, {"type", 0}};
}

// Which characters a list name may not hold is not documented (3004 "bad
// characters"): control characters are refused here.
bool valid_list_name(const std::string& name) {
  return std::none_of(name.begin(), name.end(),
                      [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

ContactList& list_of(ApiCall& call) {
  ContactList* list = call.state.lists.find(std::stoll(call.params.at(0)));
  if (list == nullptr) {
    throw ApiFailure(404, 3006, "No contact list found with the specified ID");
  }
  return *list;
}

enum class Change { add, remove };

struct ChangeOutcome {
  int changed = 0;
  Json errors = Json::array();  // an object once there is one
};

// Adds the contacts named by `emails` to `list`, or removes them. An email
// no contact has is a 2008 error, one several contacts have 2010, one with
// an injected contact error (faults) that error, each keyed by the value as
// sent; a member added again, or a non-member removed, is accepted but not
// counted.
ChangeOutcome change_members(State& state, ContactList& list, const Json& emails, Change change) {
  ChangeOutcome out;
  for (const Json& email : emails) {
    const std::string key = key_text(email);
    const ContactError* injected = email.is_string() ? state.faults.contact_error(key) : nullptr;
    const std::vector<ContactId> matches = email.is_string() && injected == nullptr
                                               ? state.contacts.find(key)
                                               : std::vector<ContactId>();
    if (injected != nullptr || matches.size() != 1) {
      if (!out.errors.is_object()) {
        out.errors = Json::object();
      }
      out.errors[key] =
          injected != nullptr ? Json{{injected->code, injected->message}}
          : matches.empty()
              ? Json{{"2008", "No contact found with the external id: 3 - " + key}}
              : Json{{"2010", "More contacts found with the external id: 3 - " + key}};
      continue;
    }
    const bool changed = change == Change::add ? add_member(list, matches.front())
                                               : remove_member(list, matches.front());
    out.changed += changed ? 1 : 0;
  }
  return out;
}

// The emails of an add or delete: key_id 3 (or absent), external_ids an
// array of at most 10,000, none of them poisoned (faults: 400/2005, the
// list unchanged).
const Json& change_request_emails(ApiCall& call, const Json& body) {
  require_email_key(call.state.fields, body, "key_id", false);
  const Json& emails = external_ids_of(call, body);
  if (call.state.faults.poisons_keys()) {
    for (const Json& email : emails) {
      if (call.state.faults.poisoned_key(email)) {
        throw ApiFailure(400, 2005, "Invalid key field value: " + key_text(email));
      }
    }
  }
  return emails;
}

Response change_list(ApiCall& call, Change change) {
  ContactList& list = list_of(call);
  const Json body = parse_object_body(call);
  const ChangeOutcome outcome =
      change_members(call.state, list, change_request_emails(call, body), change);
  const char* count = change == Change::add ? "inserted_contacts" : "deleted_contacts";
  return ok_envelope(Json{{count, outcome.changed}, {"errors", outcome.errors}});
}

// A query parameter as a whole number in [min, max]; `fallback` when absent.
// Anything else is 400/1001.
std::int64_t query_number(const ApiCall& call, const std::string& name, std::int64_t fallback,
                          std::int64_t min, std::int64_t max) {
  const auto it = call.target.query.find(name);
  if (it == call.target.query.end()) {
    return fallback;
  }
  const std::string& text = it->second;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw ApiFailure(400, 1001,
                     "Invalid value for " + name + ": " + text + " (expected " +
                         std::to_string(min) + ".." + std::to_string(max) + ")");
  }
  return value;
}

}  // namespace

Response list_contact_lists(ApiCall& call) {
  Json out = Json::array();
  for (const auto& [id, list] : call.state.lists.all()) {
    out.push_back(list_to_json(list));
  }
  return ok_envelope(out);
}

Response create_contact_list(ApiCall& call) {
  const Json body = parse_object_body(call);
  const Json name = body.value("name", Json());
  if (name.is_null() || name == "") {
    throw ApiFailure(400, 3001, "List name is not set");
  }
  if (!name.is_string() || !valid_list_name(name.get<std::string>())) {
    throw ApiFailure(400, 3004, "Invalid contact list name: " + key_text(name));
  }
  if (call.state.lists.has_name(name.get<std::string>())) {
    throw ApiFailure(400, 3005, "A contact list with this name already exists");
  }
  const Json& emails = change_request_emails(call, body);
  ContactList& list = call.state.lists.create(name.get<std::string>(), call.now);
  Json data{{"id", list.id}};
  if (body.contains("external_ids")) {
    data["errors"] = change_members(call.state, list, emails, Change::add).errors;
  }
  return ok_envelope(data);
}

Response add_to_contact_list(ApiCall& call) { return change_list(call, Change::add); }

Response remove_from_contact_list(ApiCall& call) { return change_list(call, Change::remove); }

Response count_contact_list(ApiCall& call) {
  return ok_envelope(static_cast<std::int64_t>(list_of(call).members.size()));
}

// {"value": [contact ids], "next": the path of the next page, or null}: the
// members by id, $top (1..100000, default 10000) of them from position
// $skiptoken (default 0).
Response list_contact_ids(ApiCall& call) {
  const ContactList& list = list_of(call);
  const std::int64_t top = query_number(call, "$top", k_default_page, 1, k_max_page);
  const auto size = static_cast<std::int64_t>(list.members.size());
  // Past the end (the list shrank between pages): an empty last page.
  const std::int64_t skip = std::min(
      size, query_number(call, "$skiptoken", 0, 0, std::numeric_limits<std::int64_t>::max()));
  Json ids = Json::array();
  auto it = std::next(list.members.begin(), skip);
  for (; it != list.members.end() && static_cast<std::int64_t>(ids.size()) < top; ++it) {
    ids.push_back(*it);
  }
  const std::int64_t next = skip + static_cast<std::int64_t>(ids.size());
  Json next_path = next < size ? Json("/contactlist/" + std::to_string(list.id) +
                                      "/contactIds?$skiptoken=" + std::to_string(next) +
                                      "&$top=" + std::to_string(top))
                               : Json();
  return ok_envelope(Json{{"value", std::move(ids)}, {"next", std::move(next_path)}});
}

}  // namespace emsync::sim
