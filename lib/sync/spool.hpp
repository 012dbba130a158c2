// A run's spool: the model's rows, reduced to what the run needs (normalised
// email and the mapped columns), written once while the source streams and
// read back once to diff and send. It keeps memory flat however large the
// model is: only the current batch lives in memory.
//
// Format: per row, the row number (int64), the email and each value as
// (present flag, uint32 length, bytes). Private to one run; deleted after it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "source/row_source.hpp"

namespace emsync::sync {

struct SpooledRow {
  std::int64_t row_number = 0;  // 1-based position in the model's result
  std::string email;            // normalised
  std::vector<source::Value> values;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

class SpoolWriter {
 public:
  // Creates (truncates) the spool file at `path`.
  static Result<SpoolWriter> create(const std::string& path);
  Result<void> write(const SpooledRow& row);
  // Flushes; the file is complete once this returns ok.
  Result<void> finish();

 private:
  explicit SpoolWriter(FilePtr file, std::string path);
  FilePtr m_file;
  std::string m_path;
};

class SpoolReader {
 public:
  // `passed_over`: row numbers, ascending, of rows next() passes over (the
  // spooled rows found unchanged later, ModelSnapshot::unspooled_rows).
  // REQUIRES: passed_over outlives the reader.
  static Result<SpoolReader> open(const std::string& path,
                                  std::span<const std::int64_t> passed_over = {});
  // Reads the next row that is not passed over into `row`; false at the end.
  Result<bool> next(SpooledRow& row);

 private:
  explicit SpoolReader(FilePtr file, std::string path, std::span<const std::int64_t> passed_over);
  Result<bool> read_row(SpooledRow& row);
  FilePtr m_file;
  std::string m_path;
  std::span<const std::int64_t> m_passed_over;
  std::size_t m_passed = 0;  // m_passed_over[m_passed] is the next to pass over
};

}  // namespace emsync::sync
