#include "source/conninfo.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace emsync::source {
namespace {

struct FreeOptions {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using OptionsPtr = std::unique_ptr<PQconninfoOption, FreeOptions>;

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

// The keyword's value in the conninfo, else its environment variable, else null.
const char* value_of(const PQconninfoOption* options, std::string_view keyword) {
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (keyword == option->keyword) {
      if (option->val != nullptr) {
        return option->val;
      }
      return option->envvar != nullptr ? std::getenv(option->envvar) : nullptr;
    }
  }
  return nullptr;
}

// Set in the conninfo itself (the environment does not count).
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

Result<OptionsPtr> parse(const std::string& conninfo) {
  char* raw_error = nullptr;
  OptionsPtr options(PQconninfoParse(conninfo.c_str(), &raw_error));
  if (!options) {
    std::string message = raw_error != nullptr ? raw_error : "out of memory";
    PQfreemem(raw_error);
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    return make_error(Errc::invalid_input, "PostgreSQL conninfo is invalid: " + message);
  }
  return options;
}

PgTarget target_of(const PQconninfoOption* options) {
  auto text = [&](std::string_view keyword) {
    const char* value = value_of(options, keyword);
    return std::string(value != nullptr ? value : "");
  };
  PgTarget target{text("host"), text("hostaddr"), std::nullopt,
                  value_of(options, "service") != nullptr};
  if (const char* sslmode = value_of(options, "sslmode")) {
    target.sslmode = sslmode;
  }
  return target;
}

bool is_loopback_address(const std::string& text) {
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

bool is_local(std::string_view entry) {
  if (entry.empty() || entry.front() == '/' || entry.front() == '@') {
    return true;  // libpq's default socket, a socket directory, an abstract socket
  }
  std::string lower(entry);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "localhost" || is_loopback_address(lower);
}

bool all_local(std::string_view list) {
  for (std::size_t start = 0;;) {
    const std::size_t comma = list.find(',', start);
    if (!is_local(list.substr(start, comma - start))) {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    start = comma + 1;
  }
}

}  // namespace

SslVerdict ssl_verdict(const PgTarget& target) {
  if (all_local(target.host) && all_local(target.hostaddr)) {
    return SslVerdict::keep;
  }
  if (target.sslmode) {
    return *target.sslmode == "verify-full" ? SslVerdict::keep : SslVerdict::weak;
  }
  return target.service ? SslVerdict::keep : SslVerdict::add_verify_full;
}

std::optional<std::string> sslmode_warning(const std::string& conninfo) {
  auto options = parse(conninfo);
  if (!options) {
    return std::nullopt;
  }
  const PgTarget target = target_of(options->get());
  if (ssl_verdict(target) != SslVerdict::weak) {
    return std::nullopt;
  }
  return "sslmode=" + *target.sslmode + " connects to the remote host '" +
         describe(options->get()) +
         "' without verifying its certificate and name; use sslmode=verify-full (the default "
         "when the conninfo names no sslmode)";
}

Result<PgConnectInfo> make_connect_info(const std::string& conninfo,
                                        const std::optional<std::string>& password,
                                        std::chrono::milliseconds statement_timeout) {
  auto parsed = parse(conninfo);
  if (!parsed) {
    return parsed.error();
  }
  const PQconninfoOption* options = parsed->get();
  PgConnectInfo info{"", describe(options)};
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    const std::string_view keyword = option->keyword;
    if (option->val != nullptr && keyword != "options" && !(password && keyword == "password")) {
      append_pair(info.connect_string, keyword, option->val);
    }
  }
  for (const Default& fallback : k_defaults) {
    if (!is_set(options, fallback.keyword)) {
      append_pair(info.connect_string, fallback.keyword, fallback.value);
    }
  }
  if (ssl_verdict(target_of(options)) == SslVerdict::add_verify_full) {
    append_pair(info.connect_string, "sslmode", "verify-full");
  }
  // Later -c settings win, so the user's options cannot lift these two.
  const char* user_options = value_of(options, "options");
  std::string session = user_options != nullptr ? std::string(user_options) + " " : "";
  session += "-c default_transaction_read_only=on -c statement_timeout=" +
             std::to_string(statement_timeout.count());
  append_pair(info.connect_string, "options", session);
  if (password) {
    append_pair(info.connect_string, "password", *password);
  }
  return info;
}

}  // namespace emsync::source
