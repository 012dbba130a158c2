#include "service/config_check.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/hardening.hpp"
#include "core/secret.hpp"
#include "service/connections.hpp"

namespace emsync::service {

namespace {

namespace fs = std::filesystem;

// The secrets a config names, by the key of the source or destination.
struct Secret {
  std::string key;   // "sources.warehouse"
  std::string what;  // as load_secret() names it
  SecretRef ref;
};

std::vector<Secret> secrets_of(const config::Config& config) {
  std::vector<Secret> out;
  for (const auto& [name, source] : config.sources) {
    if (source.password) {
      out.push_back({"sources." + name, "source '" + name + "' password", *source.password});
    }
  }
  for (const auto& [name, destination] : config.destinations) {
    const bool wsse = destination.auth == config::AuthKind::wsse;
    out.push_back({"destinations." + name,
                   "destination '" + name + "' " + (wsse ? "secret" : "client secret"),
                   wsse ? destination.secret : destination.client_secret});
  }
  return out;
}

// The directory `path` is in ("." for a bare file name).
fs::path directory_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Why `directory` (of the file named by `key`) cannot hold it, or nullopt.
std::optional<std::string> directory_problem(const fs::path& directory, const char* key,
                                             bool must_write) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    return std::string(key) + ": the directory " + directory.string() +
           " does not exist; create it (the daemon's user must be able to write in it)";
  }
  if (must_write && ::access(directory.c_str(), W_OK | X_OK) != 0) {
    return std::string(key) + ": the directory " + directory.string() +
           " cannot be written by this user (" + std::strerror(errno) +
           "); the daemon creates files there";
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> check_surroundings(const config::Config& config) {
  std::vector<std::string> problems;
  for (auto& secret : secrets_of(config)) {
    auto read = load_secret(secret.ref, secret.what);
    if (!read) {
      problems.push_back(secret.key + ": " + read.error().message);
      continue;
    }
    wipe(*read);
  }
  if (auto problem = directory_problem(directory_of(config.state_db), "state_db", true)) {
    problems.push_back(*problem);
  } else if (std::error_code ec; fs::exists(config.state_db, ec) &&
                                 ::access(config.state_db.c_str(), R_OK | W_OK) != 0) {
    problems.push_back("state_db: " + config.state_db + " cannot be written by this user (" +
                       std::strerror(errno) + ")");
  }
  if (auto problem = directory_problem(directory_of(config.admin_socket), "admin_socket", false)) {
    problems.push_back(*problem);
  }
  return problems;
}

std::vector<Reached> check_connections(const config::Config& config) {
  std::map<std::string, std::string> secrets;  // by key
  std::map<std::string, std::string> unread;   // by key: why not
  for (auto& secret : secrets_of(config)) {
    auto read = load_secret(secret.ref, secret.what);
    if (read) {
      secrets[secret.key] = std::move(*read);
      wipe(*read);
    } else {
      unread[secret.key] = "not tried: " + read.error().message;
    }
  }
  std::vector<Reached> out;
  // Each call below writes its destination's entry: no reallocation.
  out.reserve(config.sources.size() + config.destinations.size());
  for (const auto& [name, source] : config.sources) {
    const std::string key = "sources." + name;
    if (auto it = unread.find(key); it != unread.end()) {
      out.push_back({key, it->second});
      continue;
    }
    std::optional<std::string> password;
    if (auto it = secrets.find(key); it != secrets.end()) {
      password = it->second;
    }
    auto connected = make_source(source, password)->check_connection();
    if (password) {
      wipe(*password);
    }
    out.push_back({key, connected ? std::nullopt : std::optional(connected.error().message)});
  }
  boost::asio::io_context io;
  std::vector<std::shared_ptr<emarsys::Client>> clients;
  for (const auto& [name, destination] : config.destinations) {
    const std::string key = "destinations." + name;
    if (auto it = unread.find(key); it != unread.end()) {
      out.push_back({key, it->second});
      continue;
    }
    clients.push_back(std::make_shared<emarsys::Client>(
        io.get_executor(), check_settings(client_config(destination, secrets.at(key)))));
    out.push_back({key, std::nullopt});
    boost::asio::co_spawn(
        io,
        [client = clients.back(), &problem = out.back().problem]() -> boost::asio::awaitable<void> {
          auto fields = co_await client->list_fields();
          if (!fields) {
            problem = fields.error().message;
          }
        },
        [](std::exception_ptr error) {
          if (error) {
            std::rethrow_exception(error);
          }
        });
  }
  io.run();
  for (auto& [key, secret] : secrets) {
    wipe(secret);
  }
  return out;
}

}  // namespace emsync::service
