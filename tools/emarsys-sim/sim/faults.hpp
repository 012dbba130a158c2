// Fault injection for client resilience tests (README.md "Fault injection"):
// rate-based faults drawn once per eligible request from a seeded PRNG
// (429, 5xx, 423, connection resets before or after applying, slow replies),
// plus "poison" emails that fail a whole /contact batch or list change and
// per-contact errors. The decision part (config parsing, the draw, counters) is pure;
// the server only acts on Response::delivery.
//
// Not thread-safe: the Simulator calls it under its mutex, so requests draw
// in arrival order and a seed gives the same fault sequence every run.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/field_values.hpp"
#include "sim/http.hpp"
#include "sim/time_text.hpp"

namespace emsync::sim {

struct Config;

// The rate-based kinds come first, in draw order; poison, contact_error and
// hostile_reply are triggered by content or configuration, not drawn.
enum class FaultKind {
  none,
  reset_before,  // close the connection unanswered; the request is not applied
  status_429,
  status_500,
  status_502,
  status_503,
  status_504,
  status_423,
  reset_after,  // apply the request, then close the connection unanswered
  slow,         // apply the request, answer after slow_ms
  poison,
  contact_error,
  hostile_reply,
};
inline constexpr std::size_t k_rate_kinds = 9;  // reset_before .. slow
inline constexpr std::size_t k_fault_kinds = 12;

// "429", "reset_before", ...: the counter key; "rate_" + it is the option.
std::string_view fault_name(FaultKind kind);

// True for the kinds answered instead of applying the request.
bool refuses(FaultKind kind);

// What a hostile reply to a contact write holds (README.md "Fault injection").
enum class HostileReply {
  deep_ids,        // data.ids nested k_hostile_depth levels deep
  deep_error_key,  // data.errors[0].key nested k_hostile_depth levels deep
  huge_open,       // k_hostile_bytes of '['
  huge_array,      // a valid envelope of k_hostile_bytes: data.ids holds ~8 million ids
};
inline constexpr std::size_t k_hostile_depth = 100'000;
inline constexpr std::size_t k_hostile_bytes = 16'000'000;

// The body of a hostile reply.
std::string hostile_body(HostileReply kind);

struct FaultConfig {
  std::array<double, k_rate_kinds> rates{};  // [kind - 1], each in [0, 1], sum <= 1
  std::chrono::milliseconds slow{1000};
  std::set<std::string> poison;                        // lower-cased emails
  std::map<std::string, ContactError> contact_errors;  // email as given -> error
  std::vector<std::string> endpoints;                  // path suffixes; empty = every endpoint
  bool token_endpoint = false;                         // also draw for POST /oauth2/token
  std::optional<std::uint64_t> seed;                   // overrides --seed
  std::optional<HostileReply> hostile_reply;           // replaces every contact write's reply

  double rate(FaultKind kind) const { return rates[static_cast<std::size_t>(kind) - 1]; }
};

// Bad fault configuration; the message names the option and the problem.
struct FaultConfigError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Parses the --faults / POST /sim/faults document. Throws FaultConfigError.
FaultConfig parse_fault_config(const Json& json);

// {"bad@x.com": {"code": "2007", "message": "..."}} (contact_errors and
// POST /sim/reject). Throws FaultConfigError.
std::map<std::string, ContactError> parse_contact_errors(const Json& json);

Json to_json(const FaultConfig& config);

// The rate-based fault for a uniform draw `u` in [0, 1): the rates are laid
// end to end in draw order, so each kind happens with exactly its rate.
FaultKind pick_fault(const FaultConfig& config, double u);

class FaultInjector {
 public:
  FaultInjector(FaultConfig initial, std::uint64_t default_seed, bool email_case_sensitive);

  // Replaces the configuration, zeroes the counters and reseeds the PRNG.
  void configure(FaultConfig config);
  // Back to the start-up configuration (/sim/reset).
  void reset();
  // Replaces contact_errors only (POST /sim/reject).
  void set_contact_errors(std::map<std::string, ContactError> errors);

  // The rate-based fault for a request to `path` (counted), or none. Draws
  // only when a rate is set and the request is eligible: an /api call (or
  // the token endpoint, `token` = true, with token_endpoint) whose path ends
  // with one of `endpoints`.
  FaultKind draw(std::string_view path, bool token);

  // Whether any key value is poisoned (else no payload needs a look).
  bool poisons_keys() const { return !m_config.poison.empty(); }

  // The poisoned email of one /contact payload item ("3" or "email"),
  // counted; nullopt when none.
  std::optional<std::string> poisoned(const Json& contact);
  // Whether `key` (an email of a list add or delete) is poisoned, counted.
  bool poisoned_key(const Json& key);

  // The injected error for `email`, counted; nullptr when none.
  const ContactError* contact_error(const std::string& email);

  // The hostile reply configured for a contact write, counted; nullopt when none.
  std::optional<HostileReply> hostile_reply();

  std::chrono::milliseconds slow_delay() const { return m_config.slow; }

  // {"config": {...}, "seed": N, "injected": {"429": 0, ...}, "requests": N}
  Json to_json() const;

 private:
  void count(FaultKind kind) { ++m_injected[static_cast<std::size_t>(kind) - 1]; }
  void index_contact_errors();

  const FaultConfig m_initial;
  const std::uint64_t m_default_seed;
  const bool m_case_sensitive;
  FaultConfig m_config;
  bool m_drawing = false;                               // any rate > 0
  std::map<std::string, ContactError> m_errors_by_key;  // email key -> contact_errors entry
  std::mt19937_64 m_random;
  std::array<std::int64_t, k_fault_kinds> m_injected{};
  std::int64_t m_requests = 0;  // draws so far
};

// fault_replies.cpp

// The reply to a request refused by `kind` (reset_before, 429, 5xx, 423) at
// `now` to `path`; reset_before gives Delivery::reset and no status.
Response fault_reply(FaultKind kind, const Config& config, std::string_view path,
                     Clock::time_point now);

// Makes `response` slow or dropped for reset_after and slow; other kinds
// leave it alone.
void apply_delivery_fault(FaultKind kind, std::chrono::milliseconds slow, Response& response);

}  // namespace emsync::sim
