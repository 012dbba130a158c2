// Typed views of the `data` member of Emarsys replies (emarsys-api.md §4-§6,
// §11, §12) [pure]. Every parser accepts each documented shape: ids and codes
// as strings or ints, `errors` missing, [] , {} keyed by key value or the
// getdata array. Errors are Errc::protocol_error naming `what`
// (e.g. "GET /field").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "emarsys/api_types.hpp"

namespace emsync::emarsys {

// An integer given as a JSON number or a decimal string ("123") in the
// int64 range; else nullopt.
std::optional<std::int64_t> json_int(const nlohmann::json& value);

// data.errors: missing or [] -> none; {"<key>":{"<code>":"<msg>"}}; or
// [{"key","errorCode","errorMsg"}] (getdata).
Result<std::vector<ContactError>> parse_contact_errors(const nlohmann::json& data,
                                                       std::string_view what);

// data.ids: missing -> none; elements strings or ints.
Result<std::vector<std::int64_t>> parse_ids(const nlohmann::json& data, std::string_view what);

// PUT/POST /contact: `data` is an object with optional ids and errors (or "").
Result<ContactsResult> parse_contacts_result(const nlohmann::json& data, std::string_view what);

// GET /field: an array of {id, name|null, application_type, string_id?}.
Result<std::vector<Field>> parse_fields(const nlohmann::json& data, std::string_view what);

// GET /field/{id}/choice: an array of {id (string or int), choice, ...}.
// GET /field/choices?fields={id}: {"<field_id>": [the same]}; pass
// `field_id` to take that member (an array `data` is accepted as well).
Result<std::vector<Choice>> parse_choices(const nlohmann::json& data, std::string_view what,
                                          std::optional<std::int64_t> field_id = std::nullopt);

// GET /contactlist: an array of {id (string or int), name, ...}.
Result<std::vector<ContactList>> parse_contact_lists(const nlohmann::json& data,
                                                     std::string_view what);

// POST /contact/getdata: {"result": [{"<field id>": value, ...}] | false |
// "", "errors": [...]}, or "" (nothing found).
Result<ContactDataResult> parse_contact_data(const nlohmann::json& data, std::string_view what);

// POST /contactlist/{id}/add and /delete: {"<count_member>": int or string,
// "errors"?: missing, [] or {"<email>": {"<code>": "<message>"}}}, where
// count_member is "inserted_contacts" (add) or "deleted_contacts" (delete).
Result<ListChangeResult> parse_list_change(const nlohmann::json& data, std::string_view what,
                                           std::string_view count_member);

// POST /field and single-contact calls: {"id": <int or string>}.
Result<std::int64_t> parse_created_id(const nlohmann::json& data, std::string_view what);

}  // namespace emsync::emarsys
