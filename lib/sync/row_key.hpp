// Rejected rows under `rejected_row_keys: hashed` (config): the run history
// keeps no email, only the first 16 hex digits of its SHA-256, which an
// operator recomputes to find the row:
//   printf %s EMAIL | sha256sum | cut -c1-16   (EMAIL trimmed, lower-cased)
// Pure: no I/O.
#pragma once

#include <string>
#include <string_view>

#include "store/state_store.hpp"

namespace emsync::sync {

// The first 16 hex digits of SHA-256(email).
std::string hashed_row_key(std::string_view email);

// Replaces `email` by hashed_row_key(email) wherever the rejection names it:
// its key (a contact's rejection) and its message (which may quote the
// email, e.g. a duplicate or an invalid one), whole or as quote_value(email)
// quotes it. An empty `email` changes nothing; `email` may be the
// rejection's own key.
void hide_email(store::Rejection& rejection, std::string_view email);

// The rejection as the run history keeps it: with `hashed`
// (rejected_row_keys: hashed), hide_email(rejection, email); then its key,
// the email of a contact's rejection, cut like any quoted value
// (quote_value, 256 bytes). `email` is what the key or message quotes of
// the row's email ("" when nothing), whole: the hash is of the whole email.
void finish_rejection(store::Rejection& rejection, std::string_view email, bool hashed);

}  // namespace emsync::sync
