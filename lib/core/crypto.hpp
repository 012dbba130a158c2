// SHA-1, SHA-256, Base64 and CSPRNG hex via OpenSSL: what WSSE and OAuth need,
// shared by the Emarsys client and the simulator, and the hashed row keys of
// rejected rows.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace emsync {

// Lower-case hex of the SHA-1 digest of `data` (40 characters).
std::string sha1_hex(std::string_view data);

// Lower-case hex of the SHA-256 digest of `data` (64 characters), as
// `sha256sum` prints it.
std::string sha256_hex(std::string_view data);

// Standard Base64 with '=' padding.
std::string base64_encode(std::string_view data);

// Decodes standard padded Base64; nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view text);

// `bytes` random bytes from OpenSSL's CSPRNG, as lower-case hex.
std::string random_hex(std::size_t bytes);

}  // namespace emsync
