// WSSE UsernameToken for the Emarsys v2 API (emarsys-api.md §2.1) [pure].
//
// PasswordDigest = base64(lowercase_hex(sha1(nonce + created + secret))): the
// Base64 of the 40-character hex *text*, not of the raw digest bytes. Every
// request needs a fresh nonce and a Created within 5 minutes of server time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace emsync::emarsys {

std::string wsse_digest(std::string_view nonce, std::string_view created, std::string_view secret);

// The X-WSSE header value: UsernameToken Username="…", PasswordDigest="…",
// Nonce="…", Created="…".
std::string wsse_header(std::string_view user, std::string_view secret, std::string_view nonce,
                        std::string_view created);

// A fresh 32-character lowercase hex nonce (16 random bytes).
std::string wsse_nonce();

// `t` as UTC "YYYY-MM-DDTHH:MM:SSZ" (sub-seconds dropped).
std::string wsse_created(std::chrono::system_clock::time_point t);

}  // namespace emsync::emarsys
