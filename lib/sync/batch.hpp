// Building contact payloads within Emarsys' limits (1000 contacts and 8 MB
// per call). Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "sync/diff.hpp"

namespace emsync::sync {

inline constexpr std::size_t k_max_batch_contacts = 1000;
inline constexpr std::size_t k_max_batch_bytes = 8 * 1024 * 1024;

// The JSON text of one contact: {"3":"<email>",<field>:<value>,...}.
std::string contact_json(std::string_view email, const FieldValues& fields);

// Keeps the contacts of one request within Emarsys' bounds. It only counts:
// the request body is written once, when it is sent (emarsys::Client). The
// byte bound is that of the JSON array ([a,b,...]) and leaves room for the
// request envelope ({"key_id":"3","contacts":...}).
class BatchBounds {
 public:
  explicit BatchBounds(std::size_t max_contacts = k_max_batch_contacts,
                       std::size_t max_bytes = k_max_batch_bytes);

  // True when `contact` can be added without exceeding either bound. Empty
  // bounds accept any contact up to max_bytes on their own.
  bool fits(std::string_view contact) const;
  // REQUIRES: fits(contact).
  void add(std::string_view contact);

  bool empty() const { return m_contacts == 0; }
  std::size_t size() const { return m_contacts; }
  // The bytes of the JSON array of the contacts added so far.
  std::size_t array_bytes() const { return m_contacts == 0 ? 2 : m_bytes + m_contacts + 1; }

 private:
  std::size_t m_max_contacts;
  std::size_t m_max_bytes;
  std::size_t m_contacts = 0;
  std::size_t m_bytes = 0;  // of the contacts' JSON alone
};

}  // namespace emsync::sync
