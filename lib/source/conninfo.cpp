#include "source/conninfo.hpp"

#include <libpq-fe.h>

#include <memory>
#include <string_view>

namespace emsync::source {
namespace {

struct FreeOptions {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// Keywords safe to show in messages, in the order shown.
constexpr std::string_view k_described[] = {"host", "hostaddr", "port", "dbname", "user"};

struct Default {
  std::string_view keyword;
  std::string_view value;
};
constexpr Default k_defaults[] = {
    {"connect_timeout", "10"},  // seconds; every I/O has a deadline
    {"application_name", "emsync"},
    {"client_encoding", "UTF8"},  // canonical values are UTF-8 text
};

// keyword='value' with the quoting libpq expects.
void append_pair(std::string& out, std::string_view keyword, std::string_view value) {
  if (!out.empty()) {
    out += ' ';
  }
  out.append(keyword).append("='");
  for (char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '\'';
}

bool is_set(const PQconninfoOption* options, std::string_view keyword) {
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (keyword == option->keyword) {
      return option->val != nullptr;
    }
  }
  return false;
}

std::string describe(const PQconninfoOption* options) {
  std::string description;
  for (std::string_view keyword : k_described) {
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
      if (keyword == option->keyword && option->val != nullptr) {
        description += description.empty() ? "" : " ";
        description.append(keyword).append("=").append(option->val);
      }
    }
  }
  return description.empty() ? "libpq defaults" : description;
}

}  // namespace

Result<PgConnectInfo> make_connect_info(const std::string& conninfo,
                                        const std::optional<std::string>& password) {
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, FreeOptions> options(
      PQconninfoParse(conninfo.c_str(), &raw_error));
  if (!options) {
    std::string message = raw_error != nullptr ? raw_error : "out of memory";
    PQfreemem(raw_error);
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    return make_error(Errc::invalid_input, "PostgreSQL conninfo is invalid: " + message);
  }
  PgConnectInfo info{"", describe(options.get())};
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr && !(password && std::string_view(option->keyword) == "password")) {
      append_pair(info.connect_string, option->keyword, option->val);
    }
  }
  for (const Default& fallback : k_defaults) {
    if (!is_set(options.get(), fallback.keyword)) {
      append_pair(info.connect_string, fallback.keyword, fallback.value);
    }
  }
  if (password) {
    append_pair(info.connect_string, "password", *password);
  }
  return info;
}

}  // namespace emsync::source
