#include "emarsys/reply_data.hpp"

#include <charconv>
#include <limits>

namespace emsync::emarsys {
namespace {

using nlohmann::json;

Error bad_data(std::string_view what, std::string_view problem) {
  return make_error(Errc::protocol_error, "Emarsys " + std::string(what) +
                                              " answered OK, but its data " + std::string(problem) +
                                              "; the API may have changed, report this");
}

// A code or message that may be a string or a number, as text.
std::string json_text(const json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  return value.is_null() ? std::string() : value.dump();
}

std::string string_member(const json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() || !it->is_string() ? std::string() : it->get<std::string>();
}

// {"<key>": {"<code>": "<message>", ...}, ...}; one ContactError per code.
Result<std::vector<ContactError>> errors_by_key(const json& errors, std::string_view what) {
  std::vector<ContactError> out;
  for (const auto& [key, codes] : errors.items()) {
    if (!codes.is_object()) {
      return bad_data(what, "has an errors entry that is not an object");
    }
    for (const auto& [code, message] : codes.items()) {
      out.push_back(ContactError{key, code, json_text(message)});
    }
  }
  return out;
}

// [{"key": "...", "errorCode": 2008 | "2008", "errorMsg": "..."}] (getdata).
Result<std::vector<ContactError>> errors_list(const json& errors, std::string_view what) {
  std::vector<ContactError> out;
  for (const auto& item : errors) {
    if (!item.is_object()) {
      return bad_data(what, "has an errors element that is not an object");
    }
    out.push_back(ContactError{json_text(item.value("key", json())),
                               json_text(item.value("errorCode", json())),
                               json_text(item.value("errorMsg", json()))});
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> json_int(const json& value) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(number);
  }
  if (value.is_number_integer()) {
    return value.get<std::int64_t>();
  }
  if (!value.is_string()) {
    return std::nullopt;
  }
  const auto& text = value.get_ref<const std::string&>();
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return out;
}

Result<std::vector<ContactError>> parse_contact_errors(const json& data, std::string_view what) {
  const auto it = data.is_object() ? data.find("errors") : data.end();
  if (!data.is_object() || it == data.end() || it->is_null()) {
    return std::vector<ContactError>{};
  }
  if (it->is_object()) {
    return errors_by_key(*it, what);
  }
  if (it->is_array()) {
    return errors_list(*it, what);
  }
  return bad_data(what, "has an errors member that is neither an object nor an array");
}

Result<std::vector<std::int64_t>> parse_ids(const json& data, std::string_view what) {
  std::vector<std::int64_t> out;
  const auto it = data.is_object() ? data.find("ids") : data.end();
  if (!data.is_object() || it == data.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return bad_data(what, "has an ids member that is not an array");
  }
  for (const auto& id : *it) {
    const auto value = json_int(id);
    if (!value) {
      return bad_data(what, "has an id that is not an integer: " + id.dump().substr(0, 100));
    }
    out.push_back(*value);
  }
  return out;
}

Result<ContactsResult> parse_contacts_result(const json& data, std::string_view what) {
  if (!data.is_object() && data != "") {
    return bad_data(what, "is not an object");
  }
  auto ids = parse_ids(data, what);  // validated, not returned: the API only needs errors
  if (!ids) {
    return ids.error();
  }
  auto errors = parse_contact_errors(data, what);
  if (!errors) {
    return errors.error();
  }
  return ContactsResult{std::move(errors.value())};
}

Result<std::vector<Field>> parse_fields(const json& data, std::string_view what) {
  if (!data.is_array()) {
    return bad_data(what, "is not an array of fields");
  }
  std::vector<Field> out;
  for (const auto& item : data) {
    const auto id = item.is_object() ? json_int(item.value("id", json())) : std::nullopt;
    if (!id) {
      return bad_data(what, "has a field without an integer id");
    }
    out.push_back(Field{*id, string_member(item, "name"), string_member(item, "string_id"),
                        string_member(item, "application_type")});
  }
  return out;
}

Result<std::vector<Choice>> parse_choices(const json& data, std::string_view what,
                                          std::optional<std::int64_t> field_id) {
  const json* list = &data;
  if (field_id && data.is_object()) {
    const auto it = data.find(std::to_string(*field_id));
    if (it == data.end()) {
      return bad_data(what, "has no choices for field " + std::to_string(*field_id));
    }
    list = &*it;
  }
  if (!list->is_array()) {
    return bad_data(what, "is not an array of choices");
  }
  std::vector<Choice> out;
  for (const auto& item : *list) {
    const auto id = item.is_object() ? json_int(item.value("id", json())) : std::nullopt;
    if (!id) {
      return bad_data(what, "has a choice without an integer id");
    }
    out.push_back(Choice{std::to_string(*id), string_member(item, "choice")});
  }
  return out;
}

Result<std::vector<ContactList>> parse_contact_lists(const json& data, std::string_view what) {
  if (!data.is_array()) {
    return bad_data(what, "is not an array of contact lists");
  }
  std::vector<ContactList> out;
  for (const auto& item : data) {
    const auto id = item.is_object() ? json_int(item.value("id", json())) : std::nullopt;
    if (!id) {
      return bad_data(what, "has a contact list without an integer id");
    }
    out.push_back(ContactList{*id, string_member(item, "name")});
  }
  return out;
}

Result<ContactDataResult> parse_contact_data(const json& data, std::string_view what) {
  ContactDataResult out;
  if (data == "" || data.is_null()) {
    return out;
  }
  if (!data.is_object()) {
    return bad_data(what, "is not an object");
  }
  auto errors = parse_contact_errors(data, what);
  if (!errors) {
    return errors.error();
  }
  out.errors = std::move(*errors);
  const auto result = data.find("result");
  // false (every key failed), "" or absent: no contact found.
  if (result == data.end() || !result->is_array()) {
    if (result != data.end() && !result->is_null() && *result != false && *result != "") {
      return bad_data(what, "has a result member that is not an array");
    }
    return out;
  }
  for (const auto& item : *result) {
    if (!item.is_object()) {
      return bad_data(what, "has a result element that is not an object");
    }
    ContactData contact;
    for (const auto& [key, value] : item.items()) {
      contact.values[key] =
          value.is_null() ? std::nullopt : std::optional<std::string>(json_text(value));
    }
    out.contacts.push_back(std::move(contact));
  }
  return out;
}

Result<ListChangeResult> parse_list_change(const json& data, std::string_view what,
                                           std::string_view count_member) {
  const auto it = data.is_object() ? data.find(count_member) : data.end();
  const auto changed = data.is_object() && it != data.end() ? json_int(*it) : std::nullopt;
  if (!changed || *changed < 0) {
    return bad_data(what, "has no count " + std::string(count_member));
  }
  auto errors = parse_contact_errors(data, what);
  if (!errors) {
    return errors.error();
  }
  return ListChangeResult{*changed, std::move(errors.value())};
}

Result<std::int64_t> parse_created_id(const json& data, std::string_view what) {
  const auto it = data.is_object() ? data.find("id") : data.end();
  const auto id = data.is_object() && it != data.end() ? json_int(*it) : std::nullopt;
  if (!id) {
    return bad_data(what, "has no integer id");
  }
  return *id;
}

}  // namespace emsync::emarsys
