// System field table, choices and custom field creation (see field_catalog.hpp).
#include "sim/field_catalog.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

namespace emsync::sim {
namespace {

constexpr int k_system_field_count = 49;
constexpr int k_first_custom_id = 1000;

// emarsys-api.md §6.5; "RO" = read-only.
const std::vector<FieldDef>& system_fields() {
  static const std::vector<FieldDef> k_fields = {
      {0, "Interests", "interests", "interests", true},
      {1, "First Name", "shorttext", "first_name", false},
      {2, "Last Name", "shorttext", "last_name", false},
      {3, "E-Mail", "longtext", "email", false},
      {4, "Date of Birth", "birthdate", "birth_date", false},
      {5, "Gender", "singlechoice", "gender", false},
      {6, "Marital Status", "singlechoice", "marital_status", false},
      {7, "Children", "singlechoice", "children", false},
      {8, "Education", "singlechoice", "education", false},
      {9, "Title", "singlechoice", "title", false},
      {10, "Address", "longtext", "address", false},
      {11, "City", "shorttext", "city", false},
      {12, "State", "shorttext", "state", false},
      {13, "ZIP Code", "shorttext", "zip_code", false},
      {14, "Country or region", "singlechoice", "country", false},
      {15, "Phone", "shorttext", "phone", false},
      {16, "Fax", "fax", "fax", false},
      {17, "Job Position", "singlechoice", "company_position", false},
      {18, "Company", "longtext", "company_name", false},
      {19, "Department", "singlechoice", "company_department", false},
      {20, "Industry", "singlechoice", "company_industry", false},
      {21, "Phone (office)", "shorttext", "company_phone", false},
      {22, "Fax (office)", "fax", "company_fax", false},
      {23, "Number of Employees", "singlechoice", "company_employees", false},
      {24, "Annual Revenue (in 000 EUR)", "singlechoice", "company_annual_revenue", false},
      {25, "URL", "url", "url", false},
      {26, "Preferred e-mail format", "singlechoice", "preferred_email_format", false},
      {27, "Avg. length of visit (minutes)", "special", "average_visit_duration", true},
      {28, "Page views per day", "special", "pageviews_per_day", true},
      {29, "Days since last e-mail sent", "special", "days_since_last_email_sent", true},
      {30, "Response rate (% of campaigns sent)", "special", "", true},
      {31, "Opt-In", "special", "optin", false},
      {32, "User status", "special", "status", true},
      {33, "Contact source", "special", "source", true},
      {34, "Contact form", "special", "form", true},
      {35, "Registration Language", "singlechoice", "registration_language", false},
      {36, "Newsletter", "special", "newsletter", true},
      {37, "Mobile", "shorttext", "mobile", false},
      {38, "First Name of Partner", "shorttext", "partner_first_name", false},
      {39, "Birthdate of Partner", "birthdate", "partner_birth_date", false},
      {40, "Anniversary", "date", "anniversary", false},
      {41, "Company Address", "longtext", "company_address", false},
      {42, "Zip Code (office)", "shorttext", "company_zip_code", false},
      {43, "City (office)", "shorttext", "company_city", false},
      {44, "State (office)", "shorttext", "company_state", false},
      {45, "Country (office)", "singlechoice", "company_country", false},
      {46, "Salutation", "singlechoice", "salutation", false},
      {47, "E-Mail valid", "special", "email_valid", true},
      {48, "Date of first registration", "special", "registration_date", true},
  };
  return k_fields;
}

// Options from third-party clients (§6.5); the country ids are illustrative.
const std::map<int, std::vector<Choice>>& choice_table() {
  static const std::vector<Choice> k_countries = {{"1", "Afghanistan"},
                                                  {"65", "Germany"},
                                                  {"70", "France"},
                                                  {"184", "United Kingdom"},
                                                  {"185", "United States of America"},
                                                  {"72", "Hungary"}};
  static const std::map<int, std::vector<Choice>> k_table = {
      {5, {{"1", "Male"}, {"2", "Female"}}},
      {6,
       {{"1", "Single"},
        {"2", "Married"},
        {"3", "Divorced"},
        {"4", "Separated"},
        {"5", "Widowed"}}},
      {14, k_countries},
      {26, {{"1", "Automatic"}, {"2", "HTML"}, {"3", "Text"}}},
      {45, k_countries},
      {46, {{"1", "Mr."}, {"2", "Mrs."}, {"3", "Miss"}, {"4", "Family"}, {"5", "Company"}}},
  };
  return k_table;
}

bool creatable_type(const std::string& type) {
  static constexpr std::array<std::string_view, 6> k_types = {"shorttext", "longtext", "largetext",
                                                              "date",      "url",      "numeric"};
  return std::find(k_types.begin(), k_types.end(), type) != k_types.end();
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

std::optional<int> decimal_id(const Json& key) {
  if (key.is_number_integer()) {
    return key.get<int>();
  }
  if (!key.is_string()) {
    return std::nullopt;
  }
  const std::string& text = key.get_ref<const std::string&>();
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoi(text);
}

}  // namespace

Json field_to_json(const FieldDef& field) {
  return Json{{"id", field.id},
              {"name", field.name},
              {"application_type", field.application_type},
              {"string_id", field.string_id}};
}

FieldCatalog::FieldCatalog() : m_fields(system_fields()) {}

const FieldDef* FieldCatalog::find(int id) const {
  const auto it = std::find_if(m_fields.begin(), m_fields.end(),
                               [id](const FieldDef& f) { return f.id == id; });
  return it == m_fields.end() ? nullptr : &*it;
}

const FieldDef* FieldCatalog::resolve(const Json& key) const {
  if (const std::optional<int> id = decimal_id(key)) {
    return find(*id);
  }
  if (!key.is_string() || key.get_ref<const std::string&>().empty()) {
    return nullptr;
  }
  const auto it = std::find_if(m_fields.begin(), m_fields.end(), [&key](const FieldDef& f) {
    return f.string_id == key.get_ref<const std::string&>();
  });
  return it == m_fields.end() ? nullptr : &*it;
}

const std::vector<Choice>& FieldCatalog::choices(int id) const {
  static const std::vector<Choice> k_none;
  if (const auto custom = m_custom_choices.find(id); custom != m_custom_choices.end()) {
    return custom->second;
  }
  const auto it = choice_table().find(id);
  return it == choice_table().end() ? k_none : it->second;
}

Json FieldCatalog::to_json() const {
  Json out = Json::array();
  for (const FieldDef& field : m_fields) {
    out.push_back(field_to_json(field));
  }
  return out;
}

Json FieldCatalog::custom_to_json() const {
  Json out = Json::array();
  for (auto it = m_fields.begin() + k_system_field_count; it != m_fields.end(); ++it) {
    out.push_back(field_to_json(*it));
  }
  return out;
}

int FieldCatalog::create(const Json& body) { return add_custom(body, false); }

int FieldCatalog::create_any(const Json& body) { return add_custom(body, true); }

int FieldCatalog::add_custom(const Json& body, bool any_type) {
  const Json name = body.value("name", Json());
  const Json type = body.value("application_type", Json());
  if (!name.is_string() || !type.is_string() || name.get<std::string>().empty()) {
    throw ApiFailure(400, 9005, "Parameters name and application_type are required");
  }
  if (!any_type && !creatable_type(type.get<std::string>())) {
    throw ApiFailure(400, 9006, "This type of field cannot be created via the API");
  }
  const bool choice_field = type == "singlechoice" || type == "multichoice";
  const Json labels = body.value("choices", Json::array());
  if (!labels.is_array() || (!choice_field && !labels.empty()) ||
      !std::all_of(labels.begin(), labels.end(), [](const Json& l) { return l.is_string(); })) {
    throw ApiFailure(400, 9006, "choices must be an array of labels, for a choice field only");
  }
  const Json string_id_json = body.value("string_id", Json(""));
  const std::string string_id = string_id_json.is_string() ? string_id_json.get<std::string>() : "";
  for (const FieldDef& field : m_fields) {
    if (iequals(field.name, name.get<std::string>())) {
      throw ApiFailure(400, 9002, "A field with this name already exists");
    }
    if (!string_id.empty() && field.string_id == string_id) {
      throw ApiFailure(400, 9002, "A field with this string ID already exists");
    }
  }
  const int id = m_next_custom_id++;
  m_fields.push_back(
      FieldDef{id, name.get<std::string>(), type.get<std::string>(), string_id, false});
  if (choice_field) {
    std::vector<Choice>& choices = m_custom_choices[id];
    for (const Json& label : labels) {
      choices.push_back(Choice{std::to_string(choices.size() + 1), label.get<std::string>()});
    }
  }
  return id;
}

void FieldCatalog::reset() {
  m_fields.resize(k_system_field_count);
  m_custom_choices.clear();
  m_next_custom_id = k_first_custom_id;
}

}  // namespace emsync::sim
