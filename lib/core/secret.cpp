#include "core/secret.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

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
    const std::string path = resolve_path(*ref.file);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return make_error(Errc::io_error, what + ": cannot read secret file " + path +
                                            " (check that it exists and is readable)");
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    value = buf.str();
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
