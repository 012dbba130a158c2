// Target/query parsing and the reply envelope (see http.hpp).
#include "sim/http.hpp"

#include <cctype>

namespace emsync::sim {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  const int lower = std::tolower(static_cast<unsigned char>(c));
  return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}

// Percent-decoding; malformed escapes are kept literally.
std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace

const std::string& Request::header(const std::string& lower_name) const {
  static const std::string k_absent;
  const auto it = headers.find(lower_name);
  return it == headers.end() ? k_absent : it->second;
}

std::map<std::string, std::string> parse_form(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    out[url_decode(name, true)] = url_decode(value, true);
  }
  return out;
}

Target parse_target(std::string_view target) {
  Target out;
  const std::size_t question = target.find('?');
  out.path = url_decode(target.substr(0, question), false);
  while (out.path.size() > 1 && out.path.back() == '/') {
    out.path.pop_back();
  }
  if (question != std::string_view::npos) {
    out.query = parse_form(target.substr(question + 1));
  }
  return out;
}

Response json_response(int status, const Json& body) {
  Response out;
  out.status = status;
  out.body = body.dump();
  return out;
}

Response envelope(int status, int reply_code, std::string_view reply_text, Json data) {
  return json_response(
      status,
      Json{{"replyCode", reply_code}, {"replyText", reply_text}, {"data", std::move(data)}});
}

Response ok_envelope(Json data) { return envelope(200, 0, "OK", std::move(data)); }

}  // namespace emsync::sim
