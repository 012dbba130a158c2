// Building contact payloads within Emarsys' limits (1000 contacts and 8 MB
// per call). Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sync/diff.hpp"

namespace emsync::sync {

inline constexpr std::size_t k_max_batch_contacts = 1000;
inline constexpr std::size_t k_max_batch_bytes = 8 * 1024 * 1024;

// The JSON text of one contact: {"3":"<email>",<field>:<value>,...}.
std::string contact_json(std::string_view email, const FieldValues& fields);

// Accumulates contact objects into the JSON array of one request. The byte
// bound leaves room for the request envelope ({"key_id":"3",...}).
class BatchBuilder {
 public:
  explicit BatchBuilder(std::size_t max_contacts = k_max_batch_contacts,
                        std::size_t max_bytes = k_max_batch_bytes);

  // True when `contact` can be added without exceeding either bound. An empty
  // builder accepts any contact up to max_bytes on its own.
  bool fits(std::string_view contact) const;
  // REQUIRES: fits(contact).
  void add(std::string key, std::string_view contact);

  bool empty() const { return m_keys.empty(); }
  std::size_t size() const { return m_keys.size(); }
  const std::vector<std::string>& keys() const { return m_keys; }
  // The JSON array text, e.g. [{"3":"a@x.com"},...]. Resets the builder.
  std::string take_json(std::vector<std::string>& keys_out);

 private:
  std::size_t m_max_contacts;
  std::size_t m_max_bytes;
  std::string m_json;
  std::vector<std::string> m_keys;
};

}  // namespace emsync::sync
