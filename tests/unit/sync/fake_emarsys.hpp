// FakeEmarsys: an Emarsys account in memory behind emarsys::ContactApi, for
// running sync::execute_run in process (run_fixture.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emarsys/contact_api.hpp"

namespace emsync::sync::test {

using nlohmann::json;

// The list the activation's created contacts join (new_contacts_list_id).
inline constexpr std::int64_t k_new_contacts_list = 77;

// An Emarsys account in memory: it holds contacts by email, answers writes
// as Emarsys does (2008 for an update of an unknown contact, 2009 for a
// create of a known one) and records every contact write.
class FakeEmarsys final : public emarsys::ContactApi {
 public:
  struct Request {
    std::string method;                   // "PUT" (update) or "POST" (create)
    std::vector<json> contacts;           // as sent, keyed by field id ("3": the email)
    std::optional<std::int64_t> list_id;  // contact_list_id of a create

    std::set<std::string> emails() const {
      std::set<std::string> out;
      for (const auto& contact : contacts) {
        out.insert(contact.at("3").get<std::string>());
      }
      return out;
    }
  };

  // -- how it answers (set by the test) --
  std::vector<emarsys::Field> fields{{1, "First Name", "", "shorttext"},
                                     {3, "E-Mail", "", "longtext"},
                                     {4, "City", "city", "shorttext"}};
  std::vector<emarsys::ContactList> contact_lists{{k_new_contacts_list, "new contacts"}};
  std::map<std::int64_t, std::vector<emarsys::Choice>> choices;  // by field id
  std::map<std::string, std::string> rejects;  // email -> replyCode of its error on every write
  std::set<std::string> malformed;             // a write holding one is refused whole: HTTP 400
  int transient_failures = 0;                  // the next writes that fail with HTTP 503
  std::function<void(const Request&)> after_write;  // called once a write was answered
  std::optional<Error> unreachable;  // set: GET /field and /contactlist fail with it

  // -- what it saw and holds --
  std::vector<Request> requests;                        // every contact write, in order
  std::vector<std::vector<std::string>> data_reads;     // the emails of every getdata, in order
  std::vector<std::int64_t> choice_reads;               // the field of every list_choices call
  std::map<std::string, json> account;                  // the contacts Emarsys holds, by email
  std::map<std::int64_t, std::set<std::string>> lists;  // created contacts by list id

  emarsys::Task<std::vector<emarsys::Field>> list_fields(emarsys::RequestStats*) override {
    if (unreachable) {
      co_return *unreachable;
    }
    co_return fields;
  }
  emarsys::Task<std::int64_t> create_field(const std::string& name, const std::string& type,
                                           emarsys::RequestStats*) override {
    const std::int64_t id = fields.back().id + 1;
    fields.push_back({id, name, "", type});
    co_return id;
  }
  emarsys::Task<std::vector<emarsys::Choice>> list_choices(std::int64_t field_id,
                                                           emarsys::ChoiceKind,
                                                           emarsys::RequestStats*) override {
    choice_reads.push_back(field_id);
    co_return choices[field_id];
  }
  emarsys::Task<std::vector<emarsys::ContactList>> list_contact_lists(
      emarsys::RequestStats*) override {
    if (unreachable) {
      co_return *unreachable;
    }
    co_return contact_lists;
  }
  emarsys::Task<emarsys::ContactsResult> update_contacts(
      const std::vector<std::string_view>& contacts, emarsys::RequestStats*) override {
    co_return write({"PUT", parse(contacts), std::nullopt});
  }
  emarsys::Task<emarsys::ContactsResult> create_contacts(
      const std::vector<std::string_view>& contacts, std::optional<std::int64_t> list_id,
      emarsys::RequestStats*) override {
    co_return write({"POST", parse(contacts), list_id});
  }
  // What the account holds of those emails (values as text, like the Client).
  emarsys::Task<emarsys::ContactDataResult> get_contact_data(
      const std::vector<std::string>& emails, const std::vector<std::int64_t>& field_ids,
      emarsys::RequestStats*) override {
    data_reads.push_back(emails);
    emarsys::ContactDataResult result;
    for (const auto& email : emails) {
      const auto held = account.find(email);
      if (held == account.end()) {
        result.errors.push_back({email, "2008", "No contact found with the external id: 3"});
        continue;
      }
      emarsys::ContactData contact;
      contact.values["3"] = email;
      for (const std::int64_t id : field_ids) {
        const json value = held->second.value(std::to_string(id), json());
        contact.values[std::to_string(id)] =
            value.is_null() ? std::nullopt
                            : std::optional(value.is_string() ? value.get<std::string>()
                                                              : value.dump());
      }
      result.contacts.push_back(std::move(contact));
    }
    co_return result;
  }
  int concurrent_requests() const override { return 1; }  // batches settle one by one

  // The emails of every write, in order, each write's as a set.
  std::vector<std::set<std::string>> written() const {
    std::vector<std::set<std::string>> out;
    for (const auto& request : requests) {
      out.push_back(request.emails());
    }
    return out;
  }

 private:
  static std::vector<json> parse(const std::vector<std::string_view>& contacts) {
    std::vector<json> out;
    for (const auto contact : contacts) {
      out.push_back(json::parse(contact));
    }
    return out;
  }

  Result<emarsys::ContactsResult> write(Request request) {
    requests.push_back(std::move(request));
    auto result = answer(requests.back());
    if (after_write) {
      after_write(requests.back());
    }
    return result;
  }

  Result<emarsys::ContactsResult> answer(const Request& request) {
    if (transient_failures > 0) {
      --transient_failures;
      return Error{Errc::transient, "Emarsys answered HTTP 503", 503, 0};
    }
    for (const auto& email : request.emails()) {
      if (malformed.contains(email)) {
        return Error{Errc::rejected, "Emarsys answered HTTP 400: invalid contact data", 400, 0};
      }
    }
    const bool create = request.method == "POST";
    emarsys::ContactsResult result;
    for (const auto& contact : request.contacts) {
      const std::string email = contact.at("3").get<std::string>();
      if (auto reject = rejects.find(email); reject != rejects.end()) {
        result.errors.push_back({email, reject->second, "refused by the test"});
      } else if (account.contains(email) == create) {
        result.errors.push_back({email, create ? "2009" : "2008",
                                 create ? "Contact already exists" : "No contact found"});
      } else {
        account[email].update(contact);
        if (create && request.list_id) {
          lists[*request.list_id].insert(email);
        }
      }
    }
    return result;
  }
};

}  // namespace emsync::sync::test
