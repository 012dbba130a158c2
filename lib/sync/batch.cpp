#include "sync/batch.hpp"

#include "core/json_text.hpp"
#include "sync/convert.hpp"

namespace emsync::sync {

namespace {

// Bytes of the byte bound kept for the request envelope around the array
// ({"key_id":"3","contacts":...} plus the optional "contact_list_id").
constexpr std::size_t k_envelope_reserve = 256;

}  // namespace

std::string contact_json(std::string_view email, const FieldValues& fields) {
  std::size_t size = email.size() + 8;
  for (const auto& [field_id, value] : fields) {
    size += field_id.size() + value.size() + 4;
  }
  std::string json;
  json.reserve(size);
  json += "{\"3\":";
  append_json_string(json, email);
  for (const auto& [field_id, value] : fields) {
    json += ',';
    append_json_string(json, field_id);
    json += ':';
    json += value;  // already JSON
  }
  json += '}';
  return json;
}

BatchBounds::BatchBounds(std::size_t max_contacts, std::size_t max_bytes)
    : m_max_contacts(max_contacts), m_max_bytes(max_bytes) {}

bool BatchBounds::fits(std::string_view contact) const {
  if (m_contacts == 0) {
    return contact.size() <= m_max_bytes;
  }
  if (m_contacts >= m_max_contacts) {
    return false;
  }
  // '[' + contacts so far, comma-separated + ',' + contact + ']'
  const std::size_t array_bytes = this->array_bytes() + 1 + contact.size();
  return array_bytes + k_envelope_reserve <= m_max_bytes;
}

void BatchBounds::add(std::string_view contact) {
  ++m_contacts;
  m_bytes += contact.size();
}

}  // namespace emsync::sync
