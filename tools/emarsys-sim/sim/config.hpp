// The simulator's configuration, from its command line (see README.md for
// each option and its default). Fixed for the life of the process:
// POST /sim/reset clears the state but keeps this (POST /sim/faults replaces
// the fault configuration until the next reset).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/faults.hpp"

namespace emsync::sim {

struct Config {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral
  std::string tls_cert;    // PEM chain; with tls_key, serve HTTPS
  std::string tls_key;
  std::map<std::string, std::string> wsse_users;     // API user -> secret (/api/v2)
  std::map<std::string, std::string> oauth_clients;  // client id -> secret (/api/v3)
  std::chrono::seconds token_ttl{3600};
  int rate_limit = 1000;  // requests per window per API user
  std::chrono::milliseconds rate_window{60000};
  bool email_case_sensitive = false;  // else email keys match case-insensitively
  bool validate_email = false;        // invalid email syntax on create -> 2005
  bool reject_nonce_replay = false;   // a reused WSSE nonce -> 401
  FaultConfig faults;                 // --faults JSON; POST /sim/reset returns to it
  std::uint64_t fault_seed = 1;       // --seed; the fault PRNG's seed unless faults.seed
  bool log_payloads = true;           // else --no-payload-log: the request log keeps no payloads
};

// Bad command line; the message says which option and why.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses the arguments after the program name. Throws UsageError.
Config parse_args(const std::vector<std::string>& args);

// One line per option, for --help and usage errors.
const char* usage();

}  // namespace emsync::sim
