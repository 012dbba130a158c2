#include "core/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace emsync {

namespace {

Error failed(const char* step) {
  return make_error(Errc::io_error, std::string("cannot ") + step + ": " + std::strerror(errno));
}

Result<void> disable_core_dumps() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    rlimit current{};
    if (::getrlimit(RLIMIT_CORE, &current) != 0 || current.rlim_cur != 0) {
      return failed("set RLIMIT_CORE to 0");
    }
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return failed("clear PR_SET_DUMPABLE");
  }
  return ok();
}

}  // namespace

Result<void> harden_process() {
  ::umask(077);
  return disable_core_dumps();
}

void wipe(std::string& secret) noexcept {
  // The characters past size() belong to the buffer too: a shorter secret
  // assigned before may still be there.
  secret.resize(secret.capacity());
  ::explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace emsync
