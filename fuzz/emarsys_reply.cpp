// Emarsys reply parsing (lib/emarsys/reply.hpp, reply_data.hpp): the envelope,
// its classification by HTTP status, and every typed view of `data`
// (contacts result, fields, choices, contact lists, list add and delete,
// created id, errors, contact data).
//
// Input: one byte choosing the HTTP status, then the body.
// Invariants: a 2xx reply with replyCode 0 succeeds with the envelope's data
// and anything else fails; a parsed view, written back as the API's JSON and
// sent through check_reply again, parses to the same values.
#include <iterator>
#include <nlohmann/json.hpp>
#include <tuple>

#include "check.hpp"
#include "emarsys/reply.hpp"
#include "emarsys/reply_data.hpp"

namespace {

using namespace emsync;
using namespace emsync::emarsys;
using nlohmann::json;

constexpr int k_statuses[] = {200, 201, 204, 400, 401, 403, 404, 423, 429, 500, 501, 503};

// `data` as a successful reply's body, through check_reply again.
json reparsed(const json& data) {
  const json body = {{"replyCode", 0}, {"replyText", "OK"}, {"data", data}};
  auto checked = check_reply("GET", "/fuzz", 200, body.dump());
  FUZZ_CHECK(checked.has_value());
  return std::move(*checked);
}

json errors_json(const std::vector<ContactError>& errors) {
  json out = json::array();
  for (const auto& e : errors) {
    out.push_back({{"key", e.key}, {"errorCode", e.code}, {"errorMsg", e.message}});
  }
  return out;
}

bool same(const std::vector<ContactError>& a, const std::vector<ContactError>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].code != b[i].code || a[i].message != b[i].message) {
      return false;
    }
  }
  return true;
}

void check_views(const json& data) {
  if (auto ids = parse_ids(data, "PUT /contact")) {
    auto again = parse_ids(reparsed({{"ids", *ids}}), "PUT /contact");
    FUZZ_CHECK(again.has_value() && *again == *ids);
  }
  if (auto errors = parse_contact_errors(data, "PUT /contact")) {
    auto again = parse_contact_errors(reparsed({{"errors", errors_json(*errors)}}), "PUT /contact");
    FUZZ_CHECK(again.has_value() && same(*again, *errors));
  }
  if (auto result = parse_contacts_result(data, "PUT /contact")) {
    auto again = parse_contacts_result(reparsed({{"errors", errors_json(result->errors)}}),
                                       "PUT /contact");
    FUZZ_CHECK(again.has_value() && same(again->errors, result->errors));
  }
  if (auto fields = parse_fields(data, "GET /field")) {
    json out = json::array();
    for (const auto& f : *fields) {
      out.push_back({{"id", f.id}, {"name", f.name}, {"string_id", f.string_id},
                     {"application_type", f.application_type}});
    }
    auto again = parse_fields(reparsed(out), "GET /field");
    FUZZ_CHECK(again.has_value() && again->size() == fields->size());
    for (std::size_t i = 0; i < fields->size(); ++i) {
      const auto& [a, b] = std::tie((*again)[i], (*fields)[i]);
      FUZZ_CHECK(a.id == b.id && a.name == b.name && a.string_id == b.string_id &&
                 a.application_type == b.application_type);
    }
  }
  if (auto lists = parse_contact_lists(data, "GET /contactlist")) {
    json out = json::array();
    for (const auto& l : *lists) {
      out.push_back({{"id", std::to_string(l.id)}, {"name", l.name}});
    }
    auto again = parse_contact_lists(reparsed(out), "GET /contactlist");
    FUZZ_CHECK(again.has_value() && again->size() == lists->size());
    for (std::size_t i = 0; i < lists->size(); ++i) {
      FUZZ_CHECK((*again)[i].id == (*lists)[i].id && (*again)[i].name == (*lists)[i].name);
    }
  }
  if (auto choices = parse_choices(data, "GET /field/5/choice")) {
    json out = json::array();
    for (const auto& c : *choices) {
      out.push_back({{"id", c.id}, {"choice", c.label}});
    }
    auto again = parse_choices(reparsed(out), "GET /field/5/choice");
    FUZZ_CHECK(again.has_value() && again->size() == choices->size());
    for (std::size_t i = 0; i < choices->size(); ++i) {
      FUZZ_CHECK((*again)[i].id == (*choices)[i].id && (*again)[i].label == (*choices)[i].label);
    }
  }
  if (auto found = parse_contact_data(data, "POST /contact/getdata")) {
    json result = json::array();
    for (const auto& contact : found->contacts) {
      json values = json::object();
      for (const auto& [field, value] : contact.values) {
        values[field] = value ? json(*value) : json(nullptr);
      }
      result.push_back(values);
    }
    auto again = parse_contact_data(
        reparsed({{"result", result}, {"errors", errors_json(found->errors)}}),
        "POST /contact/getdata");
    FUZZ_CHECK(again.has_value() && same(again->errors, found->errors) &&
               again->contacts.size() == found->contacts.size());
    for (std::size_t i = 0; i < found->contacts.size(); ++i) {
      FUZZ_CHECK(again->contacts[i].values == found->contacts[i].values);
    }
  }
  for (const char* count : {"inserted_contacts", "deleted_contacts"}) {
    if (auto changed = parse_list_change(data, "POST /contactlist/1/add", count)) {
      auto again = parse_list_change(
          reparsed({{count, changed->changed}, {"errors", errors_json(changed->errors)}}),
          "POST /contactlist/1/add", count);
      FUZZ_CHECK(again.has_value() && again->changed == changed->changed &&
                 same(again->errors, changed->errors));
    }
  }
  if (auto id = parse_created_id(data, "POST /field")) {
    auto again = parse_created_id(reparsed({{"id", std::to_string(*id)}}), "POST /field");
    FUZZ_CHECK(again.has_value() && *again == *id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto reply = fuzz::as_reply(data, size, k_statuses);
  if (!reply) {
    return 0;
  }
  const auto [status, body] = *reply;

  const auto envelope = parse_envelope(body);
  auto checked = check_reply("PUT", "/contact", status, body);
  const bool expect_ok = envelope && envelope->reply_code == 0 && status >= 200 && status < 300;
  FUZZ_CHECK(checked.has_value() == expect_ok);
  if (!checked) {
    FUZZ_CHECK(checked.error().http_status == status);
    return 0;
  }
  FUZZ_CHECK(*checked == envelope->data);
  check_views(*checked);
  return 0;
}
