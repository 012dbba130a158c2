#include "sync/choices.hpp"

#include <algorithm>

#include "core/hash.hpp"
#include "core/json_limits.hpp"
#include "core/json_text.hpp"
#include "sync/convert.hpp"
#include "sync/numeric_text.hpp"
#include "sync/utf8.hpp"

namespace emsync::sync {

namespace {

using source::ColumnType;
using Converted = Result<std::optional<std::string>>;

// Labels a message shows at most.
constexpr std::size_t k_labels_shown = 5;

Error reject(std::string_view column, const std::string& reason) {
  return make_error(Errc::invalid_input, "column '" + std::string(column) + "': " + reason);
}

Error unknown_choice(std::string_view column, std::string_view value, const ChoiceTable& choices) {
  return make_error(Errc::not_found, "column '" + std::string(column) + "': " +
                                         shown_value(value) + " is no choice of Emarsys " +
                                         choices.field() + " (" + choices.some_labels() +
                                         "); use one of its labels or choice ids");
}

Result<const std::string*> find_choice(std::string_view value, const ChoiceTable& choices,
                                       std::string_view column) {
  if (const std::string* id = choices.find(value)) {
    return id;
  }
  return unknown_choice(column, value, choices);
}

Result<void> check_column(ColumnType type, std::string_view column, std::string_view kind) {
  if (type == ColumnType::boolean || type == ColumnType::date || type == ColumnType::timestamp) {
    return reject(column, std::string(source::to_string(type)) +
                              " values cannot be sent to an Emarsys " + std::string(kind) +
                              " field (it takes choice labels or ids)");
  }
  return ok();
}

// `{a,"b c",NULL}`: PostgreSQL's array literal, one dimension.
std::optional<std::vector<std::string>> pg_array_elements(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 1;  // after '{'
  const std::size_t end = text.size() - 1;  // at '}'
  if (trim_space(text.substr(pos, end - pos)).empty()) {
    return out;
  }
  for (;;) {
    while (pos < end && (text[pos] == ' ' || text[pos] == '\t')) {
      ++pos;
    }
    std::string element;
    bool quoted = false;
    if (pos < end && text[pos] == '"') {
      quoted = true;
      for (++pos;; ++pos) {
        if (pos >= end) {
          return std::nullopt;  // unclosed quote
        }
        if (text[pos] == '\\' && pos + 1 < end) {
          element += text[++pos];
        } else if (text[pos] == '"') {
          ++pos;
          break;
        } else {
          element += text[pos];
        }
      }
      while (pos < end && (text[pos] == ' ' || text[pos] == '\t')) {
        ++pos;
      }
    } else {
      for (; pos < end && text[pos] != ','; ++pos) {
        if (text[pos] == '{' || text[pos] == '}' || text[pos] == '"') {
          return std::nullopt;  // nested arrays or a stray quote
        }
        if (text[pos] == '\\' && pos + 1 < end) {
          quoted = true;  // an escaped character: not the NULL keyword
          ++pos;
        }
        element += text[pos];
      }
      element = std::string(trim_space(element));
    }
    if (quoted || fold_case(element) != "null") {
      out.push_back(std::move(element));
    }
    if (pos == end) {
      return out;
    }
    if (text[pos] != ',') {
      return std::nullopt;
    }
    ++pos;
  }
}

// `["a", 3, null]`: a flat JSON array of strings and integers.
std::optional<std::vector<std::string>> json_array_elements(std::string_view text) {
  auto parsed = parse_json_bounded(text, JsonLimits{.max_depth = 1});
  if (!parsed || !parsed->is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& element : *parsed) {
    if (element.is_string()) {
      out.push_back(element.get<std::string>());
    } else if (element.is_number_integer()) {
      out.push_back(element.dump());
    } else if (!element.is_null()) {
      return std::nullopt;
    }
  }
  return out;
}

// Choice ids are decimal: sorted by value.
bool id_less(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

}  // namespace

ChoiceTable::ChoiceTable(std::int64_t field_id, std::string field_name,
                         std::vector<emarsys::Choice> choices)
    : m_field("field " + std::to_string(field_id) + " '" + field_name + "'"),
      m_choices(std::move(choices)) {
  for (std::size_t i = 0; i < m_choices.size(); ++i) {
    m_by_id.emplace(m_choices[i].id, i);
    m_by_label.emplace(m_choices[i].label, i);
    m_by_folded_label.emplace(fold_case(m_choices[i].label), i);
  }
}

const std::string* ChoiceTable::find(std::string_view value) const {
  const std::string text(trim_space(value));
  if (auto id = m_by_id.find(text); id != m_by_id.end()) {
    return &m_choices[id->second].id;
  }
  // "065", "+65" and "65.0" name choice 65 too.
  if (auto decimal = normalize_decimal(text);
      decimal && decimal->find_first_of("-.") == std::string::npos) {
    if (auto id = m_by_id.find(*decimal); id != m_by_id.end()) {
      return &m_choices[id->second].id;
    }
  }
  if (auto label = m_by_label.find(text); label != m_by_label.end()) {
    return &m_choices[label->second].id;
  }
  if (auto label = m_by_folded_label.find(fold_case(text)); label != m_by_folded_label.end()) {
    return &m_choices[label->second].id;
  }
  return nullptr;
}

std::uint64_t ChoiceTable::fingerprint() const {
  std::uint64_t fingerprint = hash64(m_field);
  for (const emarsys::Choice& choice : m_choices) {
    fingerprint = hash64_seeded(choice.label, hash64_seeded(choice.id, fingerprint));
  }
  return fingerprint;
}

std::string ChoiceTable::some_labels() const {
  if (m_choices.empty()) {
    return "it has no choices";
  }
  std::string out = "its choices: ";
  for (std::size_t i = 0; i < std::min(m_choices.size(), k_labels_shown); ++i) {
    out += (i == 0 ? "" : ", ") + shown_value(m_choices[i].label);
  }
  if (m_choices.size() > k_labels_shown) {
    out += ", ... (" + std::to_string(m_choices.size()) + " in all)";
  }
  return out;
}

std::optional<std::vector<std::string>> choice_list_elements(std::string_view value) {
  const std::string_view text = trim_space(value);
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
    return pg_array_elements(text);
  }
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    return json_array_elements(text);
  }
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos <= text.size();) {
    const std::size_t stop = std::min(text.find(';', pos), text.size());
    out.emplace_back(text.substr(pos, stop - pos));
    pos = stop + 1;
  }
  return out;
}

Result<std::optional<std::string>> convert_single_choice(const source::Value& value,
                                                         ColumnType column_type,
                                                         const ChoiceTable& choices,
                                                         std::string_view column) {
  if (!value) {
    return std::optional<std::string>();
  }
  EMSYNC_TRY(check_column(column_type, column, "single-choice"));
  auto id = find_choice(*value, choices, column);
  if (!id) {
    return id.error();
  }
  std::string json;
  append_json_string(json, **id);
  return std::optional<std::string>(std::move(json));
}

Result<std::optional<std::string>> convert_multi_choice(const source::Value& value,
                                                        ColumnType column_type,
                                                        const ChoiceTable& choices,
                                                        std::string_view column) {
  if (!value) {
    return std::optional<std::string>();
  }
  EMSYNC_TRY(check_column(column_type, column, "multi-choice"));
  const auto elements = choice_list_elements(*value);
  if (!elements) {
    return reject(column, shown_value(*value) +
                              " is not a list of choices (write a PostgreSQL array {a,b}, a JSON "
                              "array [\"a\",\"b\"] or labels separated by ';')");
  }
  std::vector<std::string> ids;
  for (const std::string& element : *elements) {
    if (trim_space(element).empty()) {
      continue;
    }
    auto id = find_choice(element, choices, column);
    if (!id) {
      return id.error();
    }
    ids.push_back(**id);
  }
  if (ids.empty()) {
    return std::optional<std::string>();
  }
  std::sort(ids.begin(), ids.end(), id_less);
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string json = "[";
  for (const std::string& id : ids) {
    json += json.size() > 1 ? "," : "";
    append_json_string(json, id);
  }
  json += ']';
  return std::optional<std::string>(std::move(json));
}

}  // namespace emsync::sync
