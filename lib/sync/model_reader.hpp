// Step 1 of a run: stream the model into the spool. Blocking (runs on the
// pool). Internal to the sync module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sync/run.hpp"

namespace emsync::sync {

struct ModelSnapshot {
  std::vector<source::ColumnType> column_types;  // of mapped_columns(), in order
  std::vector<std::uint64_t> email_hashes;       // sorted, unique: every valid email
  std::vector<std::uint64_t> duplicate_hashes;   // sorted: emails found in several rows
  std::int64_t rows_read = 0;
  std::int64_t rejected = 0;  // rows without a valid email (already stored as rejections)
  // Rows with a valid email and a NULL in some mapped column: an upper bound
  // of the contacts whose update could clear a field (the safety valve).
  std::int64_t rows_with_null = 0;
};

Result<ModelSnapshot> read_model(const RunRequest& request, RunEnvironment& env,
                                 const std::string& spool_path);

}  // namespace emsync::sync
