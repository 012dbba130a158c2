// Small OpenSSL wrappers used by WSSE and OAuth [pure apart from random_hex].
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace emsync::emarsys {

// Standard Base64 (RFC 4648, with padding, no line breaks).
std::string base64_encode(std::string_view bytes);

// SHA-1 of `bytes` as 40 lowercase hex characters.
std::string sha1_hex(std::string_view bytes);

// `n_bytes` bytes from OpenSSL's CSPRNG as 2*n_bytes lowercase hex characters.
std::string random_hex(std::size_t n_bytes);

}  // namespace emsync::emarsys
