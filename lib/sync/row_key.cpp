#include "sync/row_key.hpp"

#include "core/crypto.hpp"
#include "core/quote.hpp"

namespace emsync::sync {

namespace {

constexpr std::size_t k_hashed_key_digits = 16;

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::string hashed_row_key(std::string_view email) {
  return sha256_hex(email).substr(0, k_hashed_key_digits);
}

void hide_email(store::Rejection& rejection, std::string_view email) {
  if (email.empty()) {
    return;
  }
  const std::string clear(email);  // `email` may view the key replaced here
  const std::string hashed = hashed_row_key(clear);
  replace_all(rejection.row_key, clear, hashed);
  replace_all(rejection.message, clear, hashed);
  if (const std::string quoted = quote_value(clear); quoted != clear) {
    replace_all(rejection.message, quoted, hashed);
  }
}

void finish_rejection(store::Rejection& rejection, std::string_view email, bool hashed) {
  if (hashed) {
    hide_email(rejection, email);
  }
  rejection.row_key = quote_value(rejection.row_key);
}

}  // namespace emsync::sync
