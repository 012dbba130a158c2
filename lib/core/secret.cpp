#include "core/secret.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/hardening.hpp"

namespace emsync {

namespace {

std::string resolve_path(const std::string& path) {
  if (!path.empty() && path.front() != '/') {
    if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) {
      return std::string(dir) + "/" + path;
    }
  }
  return path;
}

// A secret is a password or a key, not a document: a larger file is a
// mistake (a wrong path), refused before it is read into memory.
constexpr std::size_t k_max_secret_bytes = 64 * 1024;

// Reads the file straight into the string that is returned, so no stream
// buffer keeps a copy. A file one byte over the bound is refused.
Result<std::string> read_secret_file(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::io_error, what + ": cannot read secret file " + path + " (" +
                                          std::strerror(errno) +
                                          "; check that it exists and is readable)");
  }
  std::string value(k_max_secret_bytes + 1, '\0');
  std::size_t size = 0;
  while (size < value.size()) {
    const ssize_t got = ::read(fd, value.data() + size, value.size() - size);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      if (got < 0) {
        const int error = errno;
        ::close(fd);
        wipe(value);
        return make_error(Errc::io_error, what + ": cannot read secret file " + path + ": " +
                                              std::strerror(error));
      }
      break;
    }
    size += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (size > k_max_secret_bytes) {
    wipe(value);
    return make_error(Errc::invalid_input, what + ": secret file " + path + " is over " +
                                               std::to_string(k_max_secret_bytes) +
                                               " bytes: is it the right file?");
  }
  value.resize(size);  // shrinking keeps the buffer: no copy is left behind
  return value;
}

}  // namespace

Result<std::string> load_secret(const SecretRef& ref, const std::string& what) {
  if (ref.file.has_value() == ref.env.has_value()) {
    return make_error(Errc::invalid_input,
                      what + ": give exactly one of a file (*_file) or an environment variable (*_env)");
  }
  std::string value;
  if (ref.env) {
    const char* v = std::getenv(ref.env->c_str());
    if (!v) {
      return make_error(Errc::invalid_input,
                        what + ": environment variable " + *ref.env + " is not set");
    }
    value = v;
  } else {
    auto read = read_secret_file(resolve_path(*ref.file), what);
    if (!read) {
      return read.error();
    }
    value = std::move(*read);
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
    value.pop_back();
  }
  if (value.empty()) {
    return make_error(Errc::invalid_input, what + " is empty");
  }
  return value;
}

}  // namespace emsync
