#include "sync/batch.hpp"

#include <nlohmann/json.hpp>
#include <utility>

namespace emsync::sync {

namespace {

// Bytes of the byte bound kept for the request envelope around the array
// ({"key_id":"3","contacts":...} plus the optional "source_id").
constexpr std::size_t k_envelope_reserve = 256;

std::string json_string(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

}  // namespace

std::string contact_json(std::string_view email, const FieldValues& fields) {
  std::string json = "{\"3\":" + json_string(email);
  for (const auto& [field_id, value] : fields) {
    json += ',';
    json += json_string(field_id);
    json += ':';
    json += value;  // already JSON
  }
  json += '}';
  return json;
}

BatchBuilder::BatchBuilder(std::size_t max_contacts, std::size_t max_bytes)
    : m_max_contacts(max_contacts), m_max_bytes(max_bytes) {}

bool BatchBuilder::fits(std::string_view contact) const {
  if (m_keys.empty()) {
    return contact.size() <= m_max_bytes;
  }
  if (m_keys.size() >= m_max_contacts) {
    return false;
  }
  // '[' + contacts so far + ',' + contact + ']'
  const std::size_t array_bytes = m_json.size() + contact.size() + 3;
  return array_bytes + k_envelope_reserve <= m_max_bytes;
}

void BatchBuilder::add(std::string key, std::string_view contact) {
  if (!m_keys.empty()) {
    m_json += ',';
  }
  m_json += contact;
  m_keys.push_back(std::move(key));
}

std::string BatchBuilder::take_json(std::vector<std::string>& keys_out) {
  std::string json = "[" + m_json + "]";
  keys_out = std::move(m_keys);
  m_keys.clear();
  m_json.clear();
  return json;
}

}  // namespace emsync::sync
