// Bounded parsing of untrusted JSON (see json_limits.hpp).
#include "core/json_limits.hpp"

namespace emsync {

Result<void> check_json_limits(std::string_view text, const JsonLimits& limits) {
  // A value is the document itself, the first element (or member) of an
  // array (or object), or follows a ',': one plus the '[', '{' and ','
  // outside strings bounds the values from above (exact without empty
  // arrays and objects).
  std::size_t depth = 0;
  std::size_t values = 1;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > limits.max_depth) {
          return make_error(Errc::invalid_input, "JSON nested deeper than " +
                                                     std::to_string(limits.max_depth) + " levels");
        }
        ++values;
        break;
      case ']':
      case '}':
        depth -= depth > 0 ? 1 : 0;  // an unbalanced one is the parser's to report
        break;
      case ',':
        ++values;
        break;
      default:
        continue;
    }
    if (values > limits.max_values) {
      return make_error(Errc::invalid_input,
                        "JSON has more than " + std::to_string(limits.max_values) + " values");
    }
  }
  return ok();
}

std::string json_error_message(const nlohmann::json::exception& error) {
  std::string_view message = error.what();
  if (const auto tag_end = message.find("] "); tag_end != std::string_view::npos) {
    message.remove_prefix(tag_end + 2);
  }
  return std::string(message);
}

}  // namespace emsync
