#include "sync/spool.hpp"

#include <cerrno>
#include <cstring>

namespace emsync::sync {

namespace {

// stdio buffer of a spool file: 16 times fewer write(2)/read(2) calls than
// the default 4 KiB.
constexpr std::size_t k_buffer_bytes = 64 * 1024;

// A spool file belongs to one run's one thread, so the *_unlocked stdio
// calls (glibc) skip a lock per field.
FilePtr open_buffered(const std::string& path, const char* mode) {
  FilePtr file(std::fopen(path.c_str(), mode));
  if (file) {
    std::setvbuf(file.get(), nullptr, _IOFBF, k_buffer_bytes);
  }
  return file;
}

Error io_failure(const std::string& what, const std::string& path) {
  return make_error(Errc::io_error, "spool file " + path + ": " + what + " failed (" +
                                        std::strerror(errno) + "); check free disk space");
}

bool put_bytes(std::FILE* f, const void* data, std::size_t size) {
  return size == 0 || fwrite_unlocked(data, 1, size, f) == size;
}

bool put_string(std::FILE* f, const std::string& s) {
  const auto size = static_cast<std::uint32_t>(s.size());
  return put_bytes(f, &size, sizeof size) && put_bytes(f, s.data(), s.size());
}

bool get_bytes(std::FILE* f, void* data, std::size_t size) {
  return size == 0 || fread_unlocked(data, 1, size, f) == size;
}

bool get_string(std::FILE* f, std::string& s) {
  std::uint32_t size = 0;
  if (!get_bytes(f, &size, sizeof size)) {
    return false;
  }
  s.resize(size);
  return get_bytes(f, s.data(), size);
}

}  // namespace

SpoolWriter::SpoolWriter(FilePtr file, std::string path)
    : m_file(std::move(file)), m_path(std::move(path)) {}

Result<SpoolWriter> SpoolWriter::create(const std::string& path) {
  FilePtr file = open_buffered(path, "wb");
  if (!file) {
    return io_failure("create", path);
  }
  return SpoolWriter(std::move(file), path);
}

Result<void> SpoolWriter::write(const SpooledRow& row) {
  std::FILE* f = m_file.get();
  const auto count = static_cast<std::uint32_t>(row.values.size());
  bool good = put_bytes(f, &row.row_number, sizeof row.row_number) && put_string(f, row.email) &&
              put_bytes(f, &count, sizeof count);
  for (const auto& value : row.values) {
    const char present = value ? 1 : 0;
    good = good && put_bytes(f, &present, 1) && (!value || put_string(f, *value));
  }
  if (!good) {
    return io_failure("write", m_path);
  }
  return ok();
}

Result<void> SpoolWriter::finish() {
  if (std::fflush(m_file.get()) != 0) {
    return io_failure("flush", m_path);
  }
  return ok();
}

SpoolReader::SpoolReader(FilePtr file, std::string path,
                         std::span<const std::int64_t> passed_over)
    : m_file(std::move(file)), m_path(std::move(path)), m_passed_over(passed_over) {}

Result<SpoolReader> SpoolReader::open(const std::string& path,
                                      std::span<const std::int64_t> passed_over) {
  FilePtr file = open_buffered(path, "rb");
  if (!file) {
    return io_failure("open", path);
  }
  return SpoolReader(std::move(file), path, passed_over);
}

Result<bool> SpoolReader::next(SpooledRow& row) {
  for (;;) {
    auto read = read_row(row);
    if (!read || !*read) {
      return read;
    }
    while (m_passed < m_passed_over.size() && m_passed_over[m_passed] < row.row_number) {
      ++m_passed;
    }
    if (m_passed == m_passed_over.size() || m_passed_over[m_passed] != row.row_number) {
      return true;
    }
  }
}

Result<bool> SpoolReader::read_row(SpooledRow& row) {
  std::FILE* f = m_file.get();
  if (!get_bytes(f, &row.row_number, sizeof row.row_number)) {
    if (std::feof(f)) {
      return false;
    }
    return io_failure("read", m_path);
  }
  std::uint32_t count = 0;
  bool good = get_string(f, row.email) && get_bytes(f, &count, sizeof count);
  row.values.resize(good ? count : 0);
  for (auto& value : row.values) {
    char present = 0;
    good = good && get_bytes(f, &present, 1);
    if (good && present) {
      value.emplace();
      good = get_string(f, *value);
    } else {
      value.reset();
    }
  }
  if (!good) {
    return make_error(Errc::io_error, "spool file " + m_path + " is truncated");
  }
  return true;
}

}  // namespace emsync::sync
