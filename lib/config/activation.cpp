#include "config/activation.hpp"

#include <array>
#include <set>

#include "config/json_reader.hpp"
#include "schedule/schedule.hpp"

namespace emsync::config {

namespace {

constexpr std::size_t k_max_name_length = 64;
// What `show` returns of it must fit an admin reply (1 MiB) with room to spare.
constexpr std::size_t k_max_definition_bytes = 256 * 1024;
constexpr std::array<std::string_view, 6> k_attribute_types = {"shorttext", "longtext", "largetext",
                                                               "url",       "numeric",  "date"};

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > k_max_name_length) {
    return false;
  }
  for (char c : name) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_attribute_type(std::string_view type) {
  for (std::string_view candidate : k_attribute_types) {
    if (type == candidate) {
      return true;
    }
  }
  return false;
}

// Messages start "activation 'crm': " once the name is known to be valid,
// else with `label` ("activation", "activation #2").
std::string prefix_for(const Json& value, const std::string& label) {
  const auto name = value.find("name");
  if (name != value.end() && name->is_string() &&
      is_valid_name(name->get_ref<const std::string&>())) {
    return "activation '" + name->get<std::string>() + "': ";
  }
  return label + ": ";
}

void read_fields(ObjectReader& r, Activation& activation) {
  const Json* fields = r.object("fields", Need::optional);
  if (fields == nullptr) {
    return;
  }
  for (const auto& [column, field] : fields->items()) {
    if (fits_int64(field, 0)) {
      activation.fields.push_back({column, field.get<std::int64_t>()});
    } else if (field.is_string() && !field.get_ref<const std::string&>().empty()) {
      activation.fields.push_back({column, field.get<std::string>()});
    } else {
      r.report("fields." + column, "must be a field id (an integer, 0 or more) or a field name");
    }
  }
}

// One element of custom_attributes: "column" or {"column": ..., "type": ...}.
std::optional<CustomAttribute> read_attribute(const Json& item, const std::string& path,
                                              ObjectReader& parent, Problems& problems) {
  if (item.is_string() && !item.get_ref<const std::string&>().empty()) {
    return CustomAttribute{item.get<std::string>(), std::nullopt};
  }
  if (!item.is_object()) {
    parent.report(path, "must be a column name or {\"column\": ..., \"type\": ...}");
    return std::nullopt;
  }
  ObjectReader r(item, path, parent.prefix(), problems);
  CustomAttribute attribute{r.string("column", Need::required).value_or(""), std::nullopt};
  if (auto type = r.string("type", Need::optional)) {
    if (is_attribute_type(*type)) {
      attribute.type = std::move(*type);
    } else {
      r.report("type", "must be one of shorttext, longtext, largetext, url, numeric, date");
    }
  }
  r.finish();
  return attribute.column.empty() ? std::nullopt : std::optional(attribute);
}

void read_custom_attributes(ObjectReader& r, Activation& activation, Problems& problems) {
  const Json* items = r.get("custom_attributes", Need::optional);
  if (items == nullptr) {
    return;
  }
  if (!items->is_array()) {
    r.report("custom_attributes", "must be an array");
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string path = "custom_attributes[" + std::to_string(i) + "]";
    if (auto attribute = read_attribute((*items)[i], path, r, problems)) {
      activation.custom_attributes.push_back(std::move(*attribute));
    }
  }
}

// Each column feeds one field at most, and the email column none (it is the key).
void check_columns(const Activation& activation, const std::string& prefix, Problems& problems) {
  std::set<std::string> seen;
  auto check = [&](const std::string& column) {
    if (column == activation.email_column) {
      problems.add(prefix + "column '" + column +
                   "' is the email column; it cannot also be mapped to a field");
    } else if (!seen.insert(column).second) {
      problems.add(prefix + "column '" + column + "' is mapped twice");
    }
  };
  for (const FieldMapping& mapping : activation.fields) {
    check(mapping.column);
  }
  for (const CustomAttribute& attribute : activation.custom_attributes) {
    check(attribute.column);
  }
}

// "incremental": {"cursor_column": ..., "lookback": ..., "full_every": ...}.
void read_incremental(ObjectReader& parent, Activation& activation, Problems& problems) {
  const Json* value = parent.object("incremental", Need::optional);
  if (value == nullptr) {
    return;
  }
  ObjectReader r(*value, "incremental", parent.prefix(), problems);
  Incremental incremental;
  incremental.cursor_column = r.string("cursor_column", Need::required).value_or("");
  if (const Json* lookback = r.get("lookback", Need::optional)) {
    if (fits_int64(*lookback, 0)) {
      incremental.lookback_count = lookback->get<std::int64_t>();
    } else if (!lookback->is_string()) {
      r.report("lookback", "must be a duration such as '15m' (a timestamp or date cursor) or a "
                           "whole number, 0 or more (an integer cursor)");
    } else if (auto time = schedule::parse_duration(lookback->get_ref<const std::string&>(), true)) {
      incremental.lookback_time = *time;
    } else {
      r.report("lookback", time.error().message + " (or a whole number for an integer cursor)");
    }
  }
  if (auto every = r.string("full_every", Need::optional); every && *every != "never") {
    if (auto parsed = schedule::parse_duration(*every, false)) {
      incremental.full_every = *parsed;
    } else {
      r.report("full_every", parsed.error().message + ", or 'never'");
    }
  } else if (every) {
    incremental.full_every = std::nullopt;
  }
  r.finish();
  if (incremental.cursor_column == activation.email_column) {
    problems.add(parent.prefix() + "the cursor column cannot be the email column");
  }
  activation.incremental = std::move(incremental);
}

// The keys of the contacts mode that mean nothing to a list activation, and why.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_contacts_only_keys = {{
    {"fields", "a list activation writes no field"},
    {"custom_attributes", "a list activation writes no field"},
    {"insert_new_contacts", "a list activation never creates contacts"},
    {"on_value_too_long", "a list activation writes no field"},
    {"max_clear_percent", "a list activation clears no field (max_remove_percent guards removals)"},
    {"incremental", "only a full read of the segment tells who left it"},
}};

// "mode": "contacts" (default) or "list".
Mode read_mode(ObjectReader& r) {
  const auto mode = r.string("mode", Need::optional);
  if (mode && *mode == "list") {
    return Mode::list;
  }
  if (mode && *mode != "contacts") {
    r.report("mode", "must be 'contacts' or 'list'");
  }
  return Mode::contacts;
}

// "list": {"name": "VIP France"} or {"id": 123456}, exactly one.
void read_list(ObjectReader& parent, Activation& activation, Problems& problems) {
  const Json* value = parent.object("list", Need::required);
  if (value == nullptr) {
    return;
  }
  ObjectReader r(*value, "list", parent.prefix(), problems);
  const bool has_name = value->contains("name");
  const bool has_id = value->contains("id");
  if (has_name == has_id) {
    r.report_object("must hold exactly one of \"name\" (a list emsync creates when missing) or "
                    "\"id\" (an existing list)");
  }
  if (has_name) {
    if (auto name = r.string("name", Need::required)) {
      activation.list = std::move(*name);
    }
  }
  if (has_id) {
    if (auto id = r.integer("id", 1, Need::required)) {
      activation.list = *id;
    }
  }
  r.finish();
}

// The keys of one mode: those of the contacts mode (fields, ...) or those of
// the list mode (list, max_remove_percent); the other mode's are errors.
void read_mode_keys(const Json& value, ObjectReader& r, Activation& activation,
                    Problems& problems) {
  if (activation.mode == Mode::contacts) {
    for (std::string_view key : {"list", "max_remove_percent"}) {
      if (value.contains(key)) {
        r.get(key, Need::optional);
        r.report(key, "is only used with \"mode\": \"list\"");
      }
    }
    read_fields(r, activation);
    read_custom_attributes(r, activation, problems);
    activation.insert_new_contacts = r.boolean("insert_new_contacts").value_or(false);
    if (auto percent = r.integer("max_clear_percent", 0, Need::optional)) {
      if (*percent > 100) {
        r.report("max_clear_percent", "must be a percentage from 0 to 100");
      }
      activation.max_clear_percent = static_cast<int>(std::min<std::int64_t>(*percent, 100));
    }
    if (auto policy = r.string("on_value_too_long", Need::optional)) {
      if (*policy == "skip_field") {
        activation.on_value_too_long = OnValueTooLong::skip_field;
      } else if (*policy != "reject_row") {
        r.report("on_value_too_long", "must be 'reject_row' or 'skip_field'");
      }
    }
    read_incremental(r, activation, problems);
    return;
  }
  for (const auto& [key, why] : k_contacts_only_keys) {
    if (value.contains(key)) {
      r.get(key, Need::optional);
      r.report(key, std::string("is not used with \"mode\": \"list\": ") + std::string(why));
    }
  }
  read_list(r, activation, problems);
  if (auto percent = r.integer("max_remove_percent", 0, Need::optional)) {
    if (*percent > 100) {
      r.report("max_remove_percent", "must be a percentage from 0 to 100");
    }
    activation.max_remove_percent = static_cast<int>(std::min<std::int64_t>(*percent, 100));
  }
}

Activation read_activation(const Json& value, const std::string& label, Problems& problems) {
  Activation activation;
  if (!value.is_object()) {
    problems.add(label + " must be a JSON object");
    return activation;
  }
  const std::string prefix = prefix_for(value, label);
  ObjectReader r(value, "", prefix, problems);
  if (auto name = r.string("name", Need::required)) {
    if (!is_valid_name(*name)) {
      r.report("name", "must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', '-'");
    }
    activation.name = std::move(*name);
  }
  activation.source = r.string("source", Need::required).value_or("");
  activation.destination = r.string("destination", Need::required).value_or("");
  activation.query = r.string("query", Need::required).value_or("");
  activation.email_column = r.string("email_column", Need::optional).value_or("email");
  activation.mode = read_mode(r);
  read_mode_keys(value, r, activation, problems);
  activation.schedule = r.string("schedule", Need::optional).value_or("manual");
  activation.timezone = r.string("timezone", Need::optional).value_or("UTC");
  if (const Json* percent = r.get("max_rejected_percent", Need::optional)) {
    if (!percent->is_number() || percent->get<double>() < 0 || percent->get<double>() > 100) {
      r.report("max_rejected_percent", "must be a percentage from 0 to 100, such as 5 or 0.5");
    } else {
      activation.max_rejected_percent = percent->get<double>();
    }
  }
  // "activation 'x': schedule 'daily 7am': ..." or "activation 'x': timezone 'Paris': ...".
  if (auto parsed = schedule::parse_schedule(activation.schedule, activation.timezone); !parsed) {
    problems.add(prefix + parsed.error().message);
  }
  r.finish();
  check_columns(activation, prefix, problems);
  if (const std::size_t bytes = to_json(activation).dump().size(); bytes > k_max_definition_bytes) {
    problems.add(prefix + "the definition is " + std::to_string(bytes) + " bytes, over the limit of " +
                 std::to_string(k_max_definition_bytes) + ": shorten the query or map fewer columns");
  }
  return activation;
}

template <class T>
std::string defined_names(const std::map<std::string, T>& entries) {
  std::string names;
  for (const auto& [name, entry] : entries) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return names.empty() ? "none are defined" : "defined: " + names;
}

}  // namespace

Result<Activation> parse_activation(const nlohmann::json& value) {
  // Re-read as ordered JSON, the form the readers take (`value` came from a
  // bounded parse: dumping it recurses at most 64 levels).
  auto ordered = parse_json(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                            "activation");
  if (!ordered) {
    return ordered.error();
  }
  Problems problems;
  Activation activation = read_activation(*ordered, "activation", problems);
  if (!problems.empty()) {
    return make_error(Errc::invalid_input, problems.joined());
  }
  return activation;
}

Result<std::vector<Activation>> parse_activations(std::string_view json_text) {
  auto root = parse_json(json_text, "activations");
  if (!root) {
    return root.error();
  }
  if (!root->is_object() && !root->is_array()) {
    return make_error(Errc::invalid_input,
                      "activations must be a JSON object or an array of JSON objects");
  }
  Problems problems;
  std::vector<Activation> activations;
  const bool single = root->is_object();
  for (std::size_t i = 0; i < (single ? 1 : root->size()); ++i) {
    const std::string label = single ? "activation" : "activation #" + std::to_string(i + 1);
    activations.push_back(read_activation(single ? *root : (*root)[i], label, problems));
  }
  std::set<std::string> names;
  for (const Activation& activation : activations) {
    if (!activation.name.empty() && !names.insert(activation.name).second) {
      problems.add("activation '" + activation.name + "' is defined more than once");
    }
  }
  if (!problems.empty()) {
    return make_error(Errc::invalid_input, problems.joined());
  }
  return activations;
}

Result<void> check_references(const Activation& activation, const Config& config) {
  Problems problems;
  const std::string prefix = "activation '" + activation.name + "': ";
  if (!config.sources.contains(activation.source)) {
    problems.add(prefix + "source '" + activation.source + "' is not in the config (" +
                 defined_names(config.sources) + ")");
  }
  if (!config.destinations.contains(activation.destination)) {
    problems.add(prefix + "destination '" + activation.destination + "' is not in the config (" +
                 defined_names(config.destinations) + ")");
  }
  if (!problems.empty()) {
    return make_error(Errc::not_found, problems.joined());
  }
  return ok();
}

std::string_view to_string(Mode mode) { return mode == Mode::list ? "list" : "contacts"; }

std::string describe(const ListRef& list) {
  if (const auto* id = std::get_if<std::int64_t>(&list)) {
    return "id " + std::to_string(*id);
  }
  return "name '" + std::get<std::string>(list) + "'";
}

std::string_view to_string(OnValueTooLong policy) {
  return policy == OnValueTooLong::skip_field ? "skip_field" : "reject_row";
}

std::string duration_text(std::chrono::seconds duration) {
  const std::int64_t count = duration.count();
  for (const auto& [unit, seconds] : {std::pair{'d', 86400}, {'h', 3600}, {'m', 60}}) {
    if (count != 0 && count % seconds == 0) {
      return std::to_string(count / seconds) + unit;
    }
  }
  return std::to_string(count) + "s";
}

namespace {

// A whole percentage as an integer (5, not 5.0), any other as it is.
nlohmann::json percent_json(double percent) {
  const auto whole = static_cast<std::int64_t>(percent);
  return static_cast<double>(whole) == percent ? nlohmann::json(whole) : nlohmann::json(percent);
}

}  // namespace

namespace {

// A list activation: the keys of the contacts mode are left out.
nlohmann::json list_json(const Activation& activation) {
  nlohmann::json list = nlohmann::json::object();
  if (const auto* id = activation.list ? std::get_if<std::int64_t>(&*activation.list) : nullptr) {
    list["id"] = *id;
  } else if (activation.list) {
    list["name"] = std::get<std::string>(*activation.list);
  }
  return {{"name", activation.name},
          {"mode", to_string(activation.mode)},
          {"source", activation.source},
          {"destination", activation.destination},
          {"query", activation.query},
          {"email_column", activation.email_column},
          {"list", std::move(list)},
          {"schedule", activation.schedule},
          {"timezone", activation.timezone},
          {"max_remove_percent", activation.max_remove_percent},
          {"max_rejected_percent", percent_json(activation.max_rejected_percent)}};
}

}  // namespace

nlohmann::json to_json(const Activation& activation) {
  if (activation.mode == Mode::list) {
    return list_json(activation);
  }
  nlohmann::json fields = nlohmann::json::object();
  for (const FieldMapping& mapping : activation.fields) {
    std::visit([&](const auto& field) { fields[mapping.column] = field; }, mapping.field);
  }
  nlohmann::json attributes = nlohmann::json::array();
  for (const CustomAttribute& attribute : activation.custom_attributes) {
    attributes.push_back(
        attribute.type ? nlohmann::json{{"column", attribute.column}, {"type", *attribute.type}}
                       : nlohmann::json(attribute.column));
  }
  nlohmann::json out = {{"name", activation.name},
          {"source", activation.source},
          {"destination", activation.destination},
          {"query", activation.query},
          {"email_column", activation.email_column},
          {"fields", std::move(fields)},
          {"custom_attributes", std::move(attributes)},
          {"insert_new_contacts", activation.insert_new_contacts},
          {"schedule", activation.schedule},
          {"timezone", activation.timezone},
          {"max_clear_percent", activation.max_clear_percent},
          {"max_rejected_percent", percent_json(activation.max_rejected_percent)},
          {"on_value_too_long", to_string(activation.on_value_too_long)}};
  if (const auto& incremental = activation.incremental) {
    nlohmann::json object = {{"cursor_column", incremental->cursor_column}};
    if (incremental->lookback_time) {
      object["lookback"] = duration_text(*incremental->lookback_time);
    } else if (incremental->lookback_count) {
      object["lookback"] = *incremental->lookback_count;
    }
    object["full_every"] =
        incremental->full_every ? duration_text(*incremental->full_every) : "never";
    out["incremental"] = std::move(object);
  }
  return out;
}

}  // namespace emsync::config
