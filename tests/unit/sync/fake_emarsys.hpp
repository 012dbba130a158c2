// FakeEmarsys: an Emarsys account in memory behind emarsys::ContactApi, for
// running sync::execute_run in process (run_fixture.hpp).
#pragma once

#include <algorithm>
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

// An Emarsys account in memory: it holds contacts and contact lists by
// email, answers writes as Emarsys does (2008 for an update of an unknown
// contact or a list change naming one, 2009 for a create of a known one,
// 3005 for a list name taken, 3006 for a list it does not have) and records
// every contact write and list call.
//
//   FakeEmarsys emarsys;
//   emarsys.add_contacts({"a@x.com", "b@x.com"});
//   const auto list = emarsys.create_list("VIP", {"b@x.com"});  // b put there by hand
//   ... a run adds a@x.com ...
//   CHECK(emarsys.members(list) == std::set<std::string>{"a@x.com", "b@x.com"});
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

  // A contact list: its name and the emails of its members.
  struct ListState {
    std::string name;
    std::set<std::string> members;
  };
  // A list call as sent: "create" (list_id: the new list's, or 0 when
  // refused; emails: empty), "add" or "delete".
  struct ListRequest {
    std::string action;
    std::int64_t list_id = 0;
    std::vector<std::string> emails;
  };

  // -- how it answers (set by the test) --
  std::vector<emarsys::Field> fields{{1, "First Name", "", "shorttext"},
                                     {3, "E-Mail", "", "longtext"},
                                     {4, "City", "city", "shorttext"}};
  std::map<std::int64_t, std::vector<emarsys::Choice>> choices;  // by field id
  std::map<std::string, std::string> rejects;  // email -> replyCode of its error on every write
  std::set<std::string> malformed;             // a write holding one is refused whole: HTTP 400
  int transient_failures = 0;  // the next writes (contact or list changes) that fail with HTTP 503
  std::function<void(const Request&)> after_write;  // called once a write was answered
  std::optional<Error> unreachable;  // set: GET /field and /contactlist fail with it
  std::optional<Error> list_failure;  // set: every list create, add and delete fails with it
  // Called once a list call was answered (it changed the list when it succeeded).
  std::function<void(const ListRequest&)> after_list_call;

  // -- what it saw and holds --
  std::vector<Request> requests;                        // every contact write, in order
  std::vector<std::vector<std::string>> data_reads;     // the emails of every getdata, in order
  std::vector<std::int64_t> choice_reads;               // the field of every list_choices call
  std::map<std::string, json> account;                  // the contacts Emarsys holds, by email
  std::vector<ListRequest> list_requests;               // every list create, add and delete
  std::map<std::int64_t, ListState> lists{{k_new_contacts_list, {"new contacts", {}}}};  // by id

  // Contacts the account holds, with only their email.
  void add_contacts(const std::vector<std::string>& emails) {
    for (const auto& email : emails) {
      account.emplace(email, json{{"3", email}});
    }
  }
  // A list made in the Emarsys UI (no list call recorded), with `members`
  // put there by hand; its id.
  std::int64_t create_list(const std::string& name, std::set<std::string> members = {}) {
    const std::int64_t id = next_list_id();
    lists[id] = ListState{name, std::move(members)};
    return id;
  }
  // The emails in list `id` (REQUIRES: the list exists).
  const std::set<std::string>& members(std::int64_t id) const { return lists.at(id).members; }

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
    std::vector<emarsys::ContactList> out;
    for (const auto& [id, list] : lists) {
      out.push_back({id, list.name});
    }
    co_return out;
  }
  emarsys::Task<std::int64_t> create_contact_list(const std::string& name,
                                                  emarsys::RequestStats*) override {
    list_requests.push_back({"create", 0, {}});
    auto created = create_named(name);
    if (created) {
      list_requests.back().list_id = *created;
    }
    if (after_list_call) {
      after_list_call(list_requests.back());
    }
    co_return created;
  }
  emarsys::Task<emarsys::ListChangeResult> add_to_contact_list(
      std::int64_t list_id, const std::vector<std::string_view>& emails,
      emarsys::RequestStats*) override {
    co_return change_list({"add", list_id, {emails.begin(), emails.end()}});
  }
  emarsys::Task<emarsys::ListChangeResult> remove_from_contact_list(
      std::int64_t list_id, const std::vector<std::string_view>& emails,
      emarsys::RequestStats*) override {
    co_return change_list({"delete", list_id, {emails.begin(), emails.end()}});
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
          lists[*request.list_id].members.insert(email);
        }
      }
    }
    return result;
  }

  std::int64_t next_list_id() const {
    return std::max<std::int64_t>(1000, lists.empty() ? 0 : lists.rbegin()->first + 1);
  }

  Result<std::int64_t> create_named(const std::string& name) {
    if (list_failure) {
      return *list_failure;
    }
    if (name.empty()) {
      return Error{Errc::rejected, "Emarsys answered HTTP 400: list name not set", 400, 3001};
    }
    for (const auto& [id, list] : lists) {
      if (list.name == name) {
        return Error{Errc::rejected, "Emarsys answered HTTP 400: list name exists", 400, 3005};
      }
    }
    return create_list(name);
  }

  Result<emarsys::ListChangeResult> change_list(ListRequest request) {
    list_requests.push_back(std::move(request));
    auto result = answer_list(list_requests.back());
    if (after_list_call) {
      after_list_call(list_requests.back());
    }
    return result;
  }

  Result<emarsys::ListChangeResult> answer_list(const ListRequest& request) {
    if (list_failure) {
      return *list_failure;
    }
    if (transient_failures > 0) {
      --transient_failures;
      return Error{Errc::transient, "Emarsys answered HTTP 503", 503, 0};
    }
    if (request.emails.size() > emarsys::k_max_list_change_emails) {
      return Error{Errc::rejected, "Emarsys answered HTTP 400: too many external ids", 400, 3002};
    }
    const auto list = lists.find(request.list_id);
    if (list == lists.end()) {
      return Error{Errc::rejected, "Emarsys answered HTTP 404: no contact list found", 404, 3006};
    }
    const bool add = request.action == "add";
    emarsys::ListChangeResult result;
    for (const auto& email : request.emails) {
      if (auto reject = rejects.find(email); reject != rejects.end()) {
        result.errors.push_back({email, reject->second, "refused by the test"});
      } else if (!account.contains(email)) {
        result.errors.push_back(
            {email, "2008", "No contact found with the external id: 3 - " + email});
      } else if (add ? list->second.members.insert(email).second
                     : list->second.members.erase(email) > 0) {
        ++result.changed;
      }
    }
    return result;
  }
};

}  // namespace emsync::sync::test
