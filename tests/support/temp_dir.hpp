// A private temporary directory for a test or a fixture.
//
// The destructor removes it, except when EMSYNC_KEEP_TEST_DIRS is set (to
// anything) or when the destructor runs during stack unwinding (a failed
// REQUIRE, an exception): then the directory is kept and its path printed on
// stderr, so that logs and databases can be inspected.
#pragma once

#include <filesystem>
#include <string_view>

namespace emsync::test {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>-XXXXXX (mode 0700). Throws std::filesystem::filesystem_error.
  explicit TempDir(std::string_view prefix = "emsync-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // Keeps the directory whatever happens (and prints where).
  void keep() { m_keep = true; }

 private:
  std::filesystem::path m_path;
  bool m_keep = false;
  int m_uncaught_exceptions;  // at construction, to detect unwinding in the destructor
};

}  // namespace emsync::test
