// SHA-1, SHA-256, Base64 and random tokens via OpenSSL (see crypto.hpp).
#include "core/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace emsync {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(k_digits[data[i] >> 4]);
    out.push_back(k_digits[data[i] & 0x0f]);
  }
  return out;
}

std::string digest_hex(std::string_view data, const EVP_MD* type, const char* name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, type, nullptr) != 1) {
    throw std::runtime_error(std::string("EVP_Digest(") + name + ") failed");
  }
  return to_hex(digest, size);
}

}  // namespace

std::string sha1_hex(std::string_view data) { return digest_hex(data, EVP_sha1(), "sha1"); }

std::string sha256_hex(std::string_view data) { return digest_hex(data, EVP_sha256(), "sha256"); }

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                   reinterpret_cast<const unsigned char*>(data.data()),
                                   static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out(text.size() / 4 * 3 + 1, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                   reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()));
  if (size < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = 0;
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 2; --i) {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return to_hex(buffer.data(), buffer.size());
}

}  // namespace emsync
