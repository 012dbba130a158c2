// Config and activation parsing (lib/config) with the URL check the Emarsys
// client applies to the configured URLs (lib/core/url.hpp).
//
// Input: JSON text, read as a daemon config, as activations, and as a URL.
// Invariants: accepted activations, written back canonically (to_json),
// parse to the same canonical form; an accepted config's metrics address
// parses; a URL that parses prints (Url::text) as a URL that parses to the
// same parts.
#include <nlohmann/json.hpp>

#include "check.hpp"
#include "config/activation.hpp"
#include "config/config.hpp"
#include "core/url.hpp"

namespace {

using namespace emsync;

void check_url(std::string_view text) {
  auto url = parse_url(text);
  if (!url) {
    return;
  }
  FUZZ_CHECK(!url->host.empty() && !url->port.empty());
  auto again = parse_url(url->text());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->tls == url->tls && again->host == url->host && again->port == url->port &&
             again->path == url->path);
}

void check_config(std::string_view text) {
  auto config = config::parse_config(text);
  if (!config) {
    return;
  }
  FUZZ_CHECK(config->metrics_listen.empty() || config::parse_listen_address(config->metrics_listen));
  for (const auto& [name, destination] : config->destinations) {
    check_url(destination.api_url);
    if (destination.auth == config::AuthKind::oauth2) {
      check_url(destination.token_url);
    }
  }
}

void check_activations(std::string_view text) {
  auto activations = config::parse_activations(text);
  if (!activations) {
    return;
  }
  nlohmann::json written = nlohmann::json::array();
  for (const auto& activation : *activations) {
    written.push_back(config::to_json(activation));
  }
  auto again = config::parse_activations(written.dump());
  FUZZ_CHECK(again.has_value() && again->size() == activations->size());
  for (std::size_t i = 0; i < again->size(); ++i) {
    FUZZ_CHECK(config::to_json((*again)[i]) == written[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  check_config(text);
  check_activations(text);
  check_url(text);
  return 0;
}
