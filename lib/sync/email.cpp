#include "sync/email.hpp"

#include <algorithm>
#include <cstddef>

#include "core/quote.hpp"
#include "sync/utf8.hpp"

namespace emsync::sync {

namespace {

constexpr std::size_t k_max_email_length = 254;  // RFC 5321 path limit

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Unicode White_Space characters, ASCII included.
bool is_unicode_space(char32_t cp) {
  return (cp < 0x80 && is_ascii_space(static_cast<char>(cp))) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// C0 and C1 controls and DEL; U+0085 counts as whitespace above.
bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F && cp != 0x85); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_ascii_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_ascii_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

// Quotes at most k_max_quoted_bytes of the email (a model's cell may be megabytes).
Error invalid(const std::string& email, std::string_view problem) {
  return make_error(Errc::invalid_input,
                    "email '" + quote_value(email) + "' " + std::string(problem));
}

// Checks the characters one by one. Control characters are reported without
// the value, which would garble a terminal or log line.
Result<void> check_characters(const std::string& email) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < email.size(); ++count) {
    const auto byte = static_cast<unsigned char>(email[pos]);
    if (byte > 0x20 && byte < 0x7F) {  // printable ASCII, most of an email: nothing to check
      ++pos;
      continue;
    }
    const auto cp = next_code_point(email, pos);
    if (!cp) {
      return make_error(Errc::invalid_input, "email is not valid UTF-8");
    }
    if (is_unicode_space(*cp)) {
      return invalid(email, "contains whitespace");
    }
    if (is_control(*cp)) {
      return make_error(Errc::invalid_input, "email contains a control character");
    }
  }
  if (count > k_max_email_length) {
    return make_error(Errc::invalid_input,
                      "email is " + std::to_string(count) + " characters, at most 254 are allowed");
  }
  return ok();
}

Result<void> check_structure(const std::string& email) {
  const auto at_count = std::count(email.begin(), email.end(), '@');
  if (at_count == 0) {
    return invalid(email, "has no '@'");
  }
  if (at_count > 1) {
    return invalid(email, "has more than one '@'");
  }
  const std::size_t at = email.find('@');
  if (at == 0) {
    return invalid(email, "has nothing before the '@'");
  }
  const std::string_view domain = std::string_view(email).substr(at + 1);
  const std::size_t dot = domain.find('.');
  if (dot == std::string_view::npos || domain.front() == '.' || domain.back() == '.') {
    return invalid(email, "needs a domain like example.com after the '@'");
  }
  return ok();
}

// fold_email() into `email`; whether it is printable ASCII only (no space,
// control or non-ASCII byte: nothing check_characters() could object to
// but the length).
bool fold_into(std::string_view raw, std::string& email) {
  email.assign(trim(raw));
  bool printable_ascii = true;
  for (char& c : email) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    const auto byte = static_cast<unsigned char>(c);
    printable_ascii = printable_ascii && byte > 0x20 && byte < 0x7F;
  }
  return printable_ascii;
}

}  // namespace

std::string fold_email(std::string_view raw) {
  std::string email;
  fold_into(raw, email);
  return email;
}

Result<void> normalize_email_into(std::string_view raw, std::string& email) {
  const bool printable_ascii = fold_into(raw, email);
  if (email.empty()) {
    return make_error(Errc::invalid_input, "email is missing");
  }
  if (!printable_ascii || email.size() > k_max_email_length) {
    EMSYNC_TRY(check_characters(email));
  }
  return check_structure(email);
}

Result<std::string> normalize_email(std::string_view raw) {
  std::string email;
  EMSYNC_TRY(normalize_email_into(raw, email));
  return email;
}

}  // namespace emsync::sync
