#include "emarsys/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace emsync::emarsys {
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

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  // EVP_EncodeBlock writes a trailing NUL; the buffer above has room for the
  // text, and std::string keeps one extra byte for the terminator.
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string sha1_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-1 failed");  // only if OpenSSL is broken
  }
  return to_hex(digest.data(), size);
}

std::string random_hex(std::size_t n_bytes) {
  std::vector<unsigned char> bytes(n_bytes);
  if (RAND_bytes(bytes.data(), static_cast<int>(n_bytes)) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");  // only if the CSPRNG is unseeded
  }
  return to_hex(bytes.data(), bytes.size());
}

}  // namespace emsync::emarsys
