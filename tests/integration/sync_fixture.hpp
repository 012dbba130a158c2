// Fixtures for end-to-end tests: the Emarsys simulator and the real emsyncd
// and emsyncctl binaries, on loopback, in a private temp dir.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace emsync::test {

inline constexpr const char* k_wsse_user = "acme001";
inline constexpr const char* k_wsse_secret = "wsse-secret-value";
inline constexpr const char* k_oauth_client = "acme-client";
inline constexpr const char* k_oauth_secret = "oauth-secret-value";

// emarsys-sim with one WSSE user and one OAuth client.
class Simulator {
 public:
  explicit Simulator(bool tls = false, std::vector<std::string> extra_args = {});

  std::uint16_t port() const { return m_port; }
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string base_url() const;
  nlohmann::json state() const;
  // Contacts by email: email -> fields object.
  std::map<std::string, nlohmann::json> contacts() const;
  std::int64_t create_list(const std::string& name) const;
  void seed(const nlohmann::json& contacts) const;
  void reject(const nlohmann::json& emails) const;
  void clear_requests() const;
  // Logged requests with `method` whose path ends with `path_suffix`.
  std::vector<nlohmann::json> requests(const std::string& method,
                                       const std::string& path_suffix) const;

 private:
  nlohmann::json post(const std::string& target, const nlohmann::json& body) const;
  bool m_tls;
  std::unique_ptr<ChildProcess> m_process;
  std::uint16_t m_port = 0;
};

// emsyncd started with a config built from `sources` and `destinations`
// (JSON objects as in the config file), in `dir`.
class Daemon {
 public:
  Daemon(const TempDir& dir, nlohmann::json sources, nlohmann::json destinations);
  ~Daemon();

  std::string socket_path() const;
  CommandResult ctl(const std::vector<std::string>& args, const std::string& stdin_text = {}) const;
  // emsyncctl --json ARGS; REQUIREs the expected exit code and parses stdout.
  nlohmann::json ctl_json(const std::vector<std::string>& args, int expected_exit = 0) const;
  std::string log() const { return m_process->stderr_text(); }
  std::string state_db() const;

 private:
  const TempDir& m_dir;
  std::unique_ptr<ChildProcess> m_process;
};

// The destination JSON for `sim` with WSSE or OAuth 2.0; secrets are written
// as files in `dir`.
nlohmann::json wsse_destination(const Simulator& sim, const TempDir& dir,
                                std::optional<std::int64_t> list_id);
nlohmann::json oauth_destination(const Simulator& sim, const TempDir& dir,
                                 std::optional<std::int64_t> list_id);

std::string source_dir();

}  // namespace emsync::test
