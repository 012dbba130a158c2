// Strict reading of JSON objects for the config file and activations: every
// problem is collected (not just the first), and keys nobody read are
// reported as unknown. Internal to the config module.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace emsync::config {

// Object keys keep the order of the text, so problems are listed in it.
using Json = nlohmann::ordered_json;

// Parses `text` with parse_json_bounded() (core/json_limits.hpp); an error
// names `what` ("config", "activations") and the line and column, or the
// nesting limit ("JSON nested deeper than 64 levels").
Result<Json> parse_json(std::string_view text, std::string_view what);

// True for an integer (not 1.0, not true) in [min, INT64_MAX].
bool fits_int64(const Json& value, std::int64_t min);

// Messages of every problem found, in order.
class Problems {
 public:
  void add(std::string message) { m_messages.push_back(std::move(message)); }
  bool empty() const { return m_messages.empty(); }
  // One problem per line.
  std::string joined() const;

 private:
  std::vector<std::string> m_messages;
};

enum class Need { optional, required };

// Reads the members of one JSON object. Messages look like
// "<prefix>'<path>.<key>' must be a non-empty string"; `path` is the dotted
// path of the object ("" at the top) and `prefix` names the document, e.g.
// "activation 'crm': ". `object` and `problems` must outlive the reader.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, std::string prefix, Problems& problems);

  const std::string& prefix() const { return m_prefix; }
  std::string path_of(std::string_view key) const;
  void report(std::string_view key, std::string_view problem);
  // A problem of the object itself: "<prefix>'<path>' <problem>".
  void report_object(std::string_view problem);
  // The member, marked as read; nullptr when absent (reported if required).
  const Json* get(std::string_view key, Need need);

  std::optional<std::string> string(std::string_view key, Need need);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, Need need);
  std::optional<bool> boolean(std::string_view key);
  // An object member (reported when present but not an object).
  const Json* object(std::string_view key, Need need);

  // Reports every member that was not read. Inline secrets get a message
  // saying where secrets belong.
  void finish();

 private:
  const Json& m_object;
  std::string m_path;
  std::string m_prefix;
  Problems& m_problems;
  std::set<std::string, std::less<>> m_read;
};

}  // namespace emsync::config
