#include "core/hardening.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/secret.hpp"

namespace emsync {
namespace {

// harden_process() changes the whole process for good: it runs in a child,
// whose exit code says which check failed (0: all held).
int hardened_child_status() {
  const pid_t child = ::fork();
  if (child == 0) {
    ::umask(022);  // as a shell leaves it
    if (!harden_process()) {
      std::_Exit(10);
    }
    const mode_t mask = ::umask(0);
    rlimit core{};
    ::getrlimit(RLIMIT_CORE, &core);
    const int code = mask != 077                                    ? 11
                     : core.rlim_cur != 0 || core.rlim_max != 0     ? 12
                     : ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0    ? 13
                                                                    : 0;
    std::_Exit(code);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("harden_process sets umask 077 and turns core dumps off", "[core][hardening]") {
  CHECK(hardened_child_status() == 0);
}

TEST_CASE("wipe zeroes a secret's whole buffer and empties it", "[core][hardening]") {
  std::string secret(64, 's');
  secret.resize(10);  // the other 54 bytes are still in the buffer
  const char* buffer = secret.data();
  const std::size_t capacity = secret.capacity();
  wipe(secret);
  CHECK(secret.empty());
  REQUIRE(secret.data() == buffer);  // same buffer, nothing reallocated
  for (std::size_t i = 0; i < capacity; ++i) {
    INFO(i);
    REQUIRE(buffer[i] == '\0');
  }
}

TEST_CASE("a secret file over 64 KiB is refused, one of 64 KiB is read", "[core][secret]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("emsync-secret-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "secret").string();
  std::ofstream(path) << std::string(64 * 1024 - 1, 'k') << '\n';  // 64 KiB in all
  auto read = load_secret(SecretRef{path, std::nullopt}, "test secret");
  REQUIRE(read);
  CHECK(read->size() == 64 * 1024 - 1);  // the newline stripped

  std::ofstream(path) << std::string(64 * 1024 + 1, 'k');
  auto refused = load_secret(SecretRef{path, std::nullopt}, "test secret");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::invalid_input);
  CHECK_THAT(refused.error().message, Catch::Contains("over 65536 bytes"));
  CHECK_THAT(refused.error().message, !Catch::Contains("kkkk"));
  std::filesystem::remove_all(dir);
}

}  // namespace emsync
