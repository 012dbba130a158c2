// Email normalisation: the contact key, as emsync stores and sends it.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync::sync {

// Trims ASCII whitespace and lower-cases ASCII letters, then checks: one '@',
// a non-empty local part, a domain with a dot (not first or last), no
// whitespace or control characters inside, at most 254 characters.
// Errors (Errc::invalid_input) say what is wrong, e.g.
// "email is missing", "email 'a b@x.com' contains whitespace"; an email
// quoted in an error is cut after 256 bytes (core/quote.hpp).
Result<std::string> normalize_email(std::string_view raw);

// normalize_email() into `email`, whose buffer it reuses (a reader that
// normalises a million emails allocates none); on an error `email` holds
// the folded email (fold_email).
Result<void> normalize_email_into(std::string_view raw, std::string& email);

// The trimming and lower-casing alone: the email as normalize_email checks it
// (and quotes it in its errors), valid or not.
std::string fold_email(std::string_view raw);

}  // namespace emsync::sync
