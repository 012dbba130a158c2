// /sim/ test-control endpoints (see control.hpp and README.md).
#include "sim/control.hpp"

#include <charconv>
#include <string_view>
#include <vector>

namespace emsync::sim {
namespace {

struct ControlError : std::runtime_error {
  ControlError(int http_status, const std::string& message)
      : std::runtime_error(message), status(http_status) {}
  int status;
};

Json contact_to_json(const Contact& contact) {
  Json fields = contact.fields();
  Json email = fields.value("3", Json());
  return Json{{"id", contact.id},
              {"uid", contact.uid},
              {"email", std::move(email)},
              {"fields", std::move(fields)}};
}

Json list_to_json(const State& state, const ContactList& list) {
  Json emails = Json::array();
  for (const ContactId id : list.members) {
    emails.push_back(state.contacts.get(id).fields().value("3", Json()));
  }
  return Json{{"id", list.id},
              {"name", list.name},
              {"created", list.created},
              {"members", list.members},
              {"member_emails", emails}};
}

Json ok() { return Json{{"ok", true}}; }

Json get_state(State& state, const Json&, Clock::time_point) { return dump_state(state); }

Json reset(State& state, const Json&, Clock::time_point) {
  state.reset();
  return ok();
}

Json clear_requests(State& state, const Json&, Clock::time_point) {
  state.requests = Json::array();
  return ok();
}

// {"contacts":[{"3":"a@x.com","1":"Ann"}, ...]} -> {"ids":[...]}; all or nothing.
Json seed_contacts(State& state, const Json& body, Clock::time_point) {
  const Json contacts = body.value("contacts", Json());
  if (!contacts.is_array()) {
    throw ControlError(400, "expected {\"contacts\": [...]}");
  }
  for (const Json& contact : contacts) {
    const Json email = contact.is_object() ? contact.value("3", Json()) : Json();
    if (!email.is_string() || email.get<std::string>().empty()) {
      throw ControlError(400, "every contact needs a non-empty \"3\" (email): " + contact.dump());
    }
  }
  Json ids = Json::array();
  for (const Json& contact : contacts) {
    ids.push_back(state.contacts.create(contact));
  }
  return Json{{"ids", ids}};
}

// {"name":"...","application_type":"multichoice","choices":["a","b"]} ->
// {"id":N}: a field as the Emarsys UI creates it, any type.
Json create_field(State& state, const Json& body, Clock::time_point) {
  try {
    return Json{{"id", state.fields.create_any(body)}};
  } catch (const ApiFailure& failure) {
    throw ControlError(failure.code == 9002 ? 409 : 400, failure.what());
  }
}

// {"name":"..."} -> {"id":N}
Json create_list(State& state, const Json& body, Clock::time_point now) {
  const Json name = body.value("name", Json());
  if (!name.is_string() || name.get<std::string>().empty()) {
    throw ControlError(400, "expected {\"name\": \"...\"}");
  }
  if (state.lists.has_name(name.get<std::string>())) {
    throw ControlError(409, "a list with this name exists");
  }
  return Json{{"id", state.lists.create(name.get<std::string>(), now).id}};
}

// The list named by body["id"] (a number, or its text from a GET query).
ContactList& list_named(State& state, const Json& body) {
  const Json id = body.value("id", Json());
  const std::string text = id.is_string() ? id.get<std::string>() : id.dump();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  ContactList* list =
      ec == std::errc() && end == text.data() + text.size() ? state.lists.find(value) : nullptr;
  if (list == nullptr) {
    throw ControlError(404, "no contact list with id " + text + "; give {\"id\": N} or ?id=N");
  }
  return *list;
}

// ?id=N -> {"id":N,"name":"...","emails":[...]}: the members' emails, by contact id.
Json list_members(State& state, const Json& body, Clock::time_point) {
  const ContactList& list = list_named(state, body);
  Json emails = Json::array();
  for (const ContactId id : list.members) {
    emails.push_back(state.contacts.get(id).email);
  }
  return Json{{"id", list.id}, {"name", list.name}, {"emails", std::move(emails)}};
}

// {"id":N,"emails":["a@x.com"]} -> {"ok":true,"added":1}: members put in
// the list by hand (as in the Emarsys UI), not logged; every email must be
// one contact's (all or nothing, else 400).
Json add_list_members(State& state, const Json& body, Clock::time_point) {
  ContactList& list = list_named(state, body);
  const Json emails = body.value("emails", Json());
  if (!emails.is_array()) {
    throw ControlError(400, "expected {\"id\": N, \"emails\": [\"<email>\", ...]}");
  }
  std::vector<ContactId> contacts;
  for (const Json& email : emails) {
    const std::vector<ContactId> matches = email.is_string()
                                               ? state.contacts.find(email.get<std::string>())
                                               : std::vector<ContactId>();
    if (matches.size() != 1) {
      throw ControlError(400, (matches.empty() ? "no contact has the email "
                                               : "several contacts have the email ") +
                                  email.dump() + "; seed it with POST /sim/contacts");
    }
    contacts.push_back(matches.front());
  }
  int added = 0;
  for (const ContactId id : contacts) {
    added += add_member(list, id) ? 1 : 0;
  }
  return Json{{"ok", true}, {"added", added}};
}

// {"emails":{"bad@x.com":{"code":"2007","message":"..."}}} replaces the
// fault configuration's contact_errors (a shorthand for POST /sim/faults).
Json set_rejects(State& state, const Json& body, Clock::time_point) {
  std::map<std::string, ContactError> errors = parse_contact_errors(body.value("emails", Json()));
  const std::size_t count = errors.size();
  state.faults.set_contact_errors(std::move(errors));
  return Json{{"ok", true}, {"count", count}};
}

Json get_faults(State& state, const Json&, Clock::time_point) { return state.faults.to_json(); }

// Replaces the fault configuration (counters zeroed, PRNG reseeded).
Json set_faults(State& state, const Json& body, Clock::time_point) {
  state.faults.configure(parse_fault_config(body));
  return state.faults.to_json();
}

// {"emails":["a@x.com"]}: each one's next create loses a race (2009).
Json set_races(State& state, const Json& body, Clock::time_point) {
  const Json emails = body.value("emails", Json());
  if (!emails.is_array()) {
    throw ControlError(400, "expected {\"emails\": [\"<email>\", ...]}");
  }
  state.races.clear();
  for (const Json& email : emails) {
    state.races.insert(state.contacts.email_key(email.get<std::string>()));
  }
  return Json{{"ok", true}, {"count", state.races.size()}};
}

struct ControlRoute {
  std::string_view method;
  std::string_view path;
  Json (*handler)(State&, const Json&, Clock::time_point);
};

const ControlRoute k_routes[] = {
    {"GET", "/sim/state", get_state},
    {"POST", "/sim/reset", reset},
    {"POST", "/sim/contacts", seed_contacts},
    {"POST", "/sim/lists", create_list},
    {"POST", "/sim/fields", create_field},
    {"GET", "/sim/lists/members", list_members},
    {"POST", "/sim/lists/members", add_list_members},
    {"POST", "/sim/reject", set_rejects},
    {"POST", "/sim/requests/clear", clear_requests},
    {"POST", "/sim/race", set_races},
    {"GET", "/sim/faults", get_faults},
    {"POST", "/sim/faults", set_faults},
};

}  // namespace

Json dump_state(const State& state) {
  Json contacts = Json::array();
  for (const Contact& contact : state.contacts.all()) {
    contacts.push_back(contact_to_json(contact));
  }
  Json lists = Json::array();
  for (const auto& [id, list] : state.lists.all()) {
    lists.push_back(list_to_json(state, list));
  }
  return Json{{"contacts", contacts},
              {"lists", lists},
              {"fields", state.fields.custom_to_json()},
              {"requests", state.requests},
              {"token_requests", state.auth.token_requests()},
              {"rate_limited", state.rate_limited}};
}

Response handle_control(State& state, const Request& request, const Target& target,
                        Clock::time_point now) {
  bool path_known = false;
  for (const ControlRoute& route : k_routes) {
    if (route.path != target.path) {
      continue;
    }
    path_known = true;
    if (route.method != request.method) {
      continue;
    }
    Json body = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
    if (!body.is_object()) {
      return json_response(400, Json{{"error", "the body must be a JSON object"}});
    }
    if (request.method == "GET") {
      for (const auto& [name, value] : target.query) {
        body[name] = value;  // a GET's parameters, as strings
      }
    }
    try {
      return json_response(200, route.handler(state, body, now));
    } catch (const ControlError& e) {
      return json_response(e.status, Json{{"error", e.what()}});
    } catch (const FaultConfigError& e) {
      return json_response(400, Json{{"error", e.what()}});
    }
  }
  return path_known ? json_response(405, Json{{"error", "method not allowed"}})
                    : json_response(404, Json{{"error", "unknown /sim endpoint"}});
}

}  // namespace emsync::sim
