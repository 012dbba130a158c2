// Command-line parsing for the simulator (see config.hpp).
#include "sim/config.hpp"

#include <charconv>
#include <climits>
#include <optional>

namespace emsync::sim {
namespace {

long long parse_number(const std::string& option, const std::string& text, long long min,
                       long long max) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(option + ": expected an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "], got '" + text + "'");
  }
  return value;
}

FaultConfig parse_faults_option(const std::string& option, const std::string& text) {
  const Json json = Json::parse(text, nullptr, false);
  if (json.is_discarded()) {
    throw UsageError(option + ": not valid JSON: " + text);
  }
  try {
    return parse_fault_config(json);
  } catch (const FaultConfigError& e) {
    throw UsageError(option + ": " + e.what());
  }
}

// Collects "--X-user U --X-secret S" pairs (several allowed) into `out`.
class CredentialPairs {
 public:
  CredentialPairs(std::string user_option, std::map<std::string, std::string>& out)
      : m_user_option(std::move(user_option)), m_out(out) {}

  void user(const std::string& name) {
    require_no_pending();
    m_pending = name;
  }
  void secret(const std::string& option, const std::string& value) {
    if (!m_pending) {
      throw UsageError(option + " must follow " + m_user_option);
    }
    m_out[*m_pending] = value;
    m_pending.reset();
  }
  void require_no_pending() const {
    if (m_pending) {
      throw UsageError(m_user_option + " '" + *m_pending + "' has no secret");
    }
  }

 private:
  std::string m_user_option;
  std::map<std::string, std::string>& m_out;
  std::optional<std::string> m_pending;
};

}  // namespace

Config parse_args(const std::vector<std::string>& args) {
  Config config;
  CredentialPairs wsse("--wsse-user", config.wsse_users);
  CredentialPairs oauth("--oauth-client-id", config.oauth_clients);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) {
        throw UsageError(option + " needs a value");
      }
      return args[++i];
    };
    if (option == "--bind") {
      config.bind = value();
    } else if (option == "--port") {
      config.port = static_cast<std::uint16_t>(parse_number(option, value(), 0, 65535));
    } else if (option == "--tls-cert") {
      config.tls_cert = value();
    } else if (option == "--tls-key") {
      config.tls_key = value();
    } else if (option == "--wsse-user") {
      wsse.user(value());
    } else if (option == "--wsse-secret") {
      wsse.secret(option, value());
    } else if (option == "--oauth-client-id") {
      oauth.user(value());
    } else if (option == "--oauth-client-secret") {
      oauth.secret(option, value());
    } else if (option == "--token-ttl") {
      config.token_ttl = std::chrono::seconds(parse_number(option, value(), 1, 1LL << 31));
    } else if (option == "--rate-limit") {
      config.rate_limit = static_cast<int>(parse_number(option, value(), 1, 1 << 30));
    } else if (option == "--rate-window-ms") {
      config.rate_window = std::chrono::milliseconds(parse_number(option, value(), 1, 1LL << 40));
    } else if (option == "--email-case-sensitive") {
      config.email_case_sensitive = true;
    } else if (option == "--validate-email") {
      config.validate_email = true;
    } else if (option == "--reject-nonce-replay") {
      config.reject_nonce_replay = true;
    } else if (option == "--no-payload-log") {
      config.log_payloads = false;
    } else if (option == "--faults") {
      config.faults = parse_faults_option(option, value());
    } else if (option == "--seed") {
      config.fault_seed = static_cast<std::uint64_t>(parse_number(option, value(), 0, LLONG_MAX));
    } else {
      throw UsageError("unknown option '" + option + "'");
    }
  }
  wsse.require_no_pending();
  oauth.require_no_pending();
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    throw UsageError("--tls-cert and --tls-key go together");
  }
  return config;
}

const char* usage() {
  return "usage: emarsys-sim [options]\n"
         "  --bind ADDR                  listen address (127.0.0.1)\n"
         "  --port N                     listen port, 0 = ephemeral (0)\n"
         "  --tls-cert FILE --tls-key FILE  serve HTTPS with this PEM chain and key\n"
         "  --wsse-user U --wsse-secret S   a /api/v2 WSSE user (repeatable)\n"
         "  --oauth-client-id ID --oauth-client-secret S  a /api/v3 OAuth client (repeatable)\n"
         "  --token-ttl SECONDS          OAuth token lifetime (3600)\n"
         "  --rate-limit N               requests per window per API user (1000)\n"
         "  --rate-window-ms MS          rate-limit window (60000)\n"
         "  --email-case-sensitive       match email keys case-sensitively\n"
         "  --validate-email             invalid email syntax on create -> 2005\n"
         "  --reject-nonce-replay        a reused WSSE nonce -> 401\n"
         "  --no-payload-log             log requests without their payloads (benchmarks)\n"
         "  --faults JSON                inject faults (see README.md), e.g. '{\"rate_503\":0.1}'\n"
         "  --seed N                     seed of the fault draws (1)\n"
         "  --help                       this text\n";
}

}  // namespace emsync::sim
