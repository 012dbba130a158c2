#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>
#include <system_error>

namespace emsync::test {

TempDir::TempDir(std::string_view prefix) : m_uncaught_exceptions(std::uncaught_exceptions()) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::filesystem::filesystem_error("cannot create a temporary directory", pattern,
                                            std::error_code(errno, std::generic_category()));
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  const bool unwinding = std::uncaught_exceptions() > m_uncaught_exceptions;
  if (m_keep || unwinding || std::getenv("EMSYNC_KEEP_TEST_DIRS") != nullptr) {
    std::fprintf(stderr, "keeping test directory %s\n", m_path.c_str());
    return;
  }
  std::error_code ignored;  // a leftover temp dir is not worth failing a test for
  std::filesystem::remove_all(m_path, ignored);
}

}  // namespace emsync::test
