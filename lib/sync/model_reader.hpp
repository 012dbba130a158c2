// Step 1 of a run: stream the model and find what changed. Blocking (runs on
// the pool). Internal to the sync module.
//
// Each row's digest (row_digest.hpp: its mapped values as read, nothing
// converted) is compared with the stored digests (ContactIndex) as it
// arrives: an unchanged contact is counted and forgotten; only rows that may
// have to be sent (new, changed, repeated emails, values to convert again)
// go to the spool, for step 3, which converts them. So a rerun that changes
// little converts little and writes little, and memory stays at the index.
//
// A row with a value over k_max_value_bytes (row_pipeline.hpp) is rejected
// ("value_too_large", naming the column and the row number) and not sent; a
// model with more than k_max_columns columns fails the run.
//
// An incremental activation's cursor column must be in the model, of a
// cursor type (read_plan.hpp) and, when the read is filtered
// (QueryOptions::filter), of the filter's type: else the read fails before
// the filtered query runs, naming the column. Each row's cursor value feeds
// ModelSnapshot::cursor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "sync/contact_index.hpp"
#include "sync/data_quality.hpp"
#include "sync/field_plan.hpp"
#include "sync/read_plan.hpp"
#include "sync/run_inputs.hpp"

namespace emsync::sync {

struct ModelSnapshot {
  std::vector<source::Column> columns;          // of mapped_columns(), in order
  std::vector<PlannedField> plan;                // resolved once the columns were known
  ContactIndex index;                           // the stored contacts, marked as the model had them
  std::vector<std::uint64_t> duplicate_hashes;  // sorted: emails found in several rows
  std::int64_t rows_read = 0;
  std::int64_t rejected = 0;   // rows without a valid email or with a value too long, or repeats
                               // of an unchanged contact
  RejectionTally rejections;   // those, by reason
  std::int64_t unchanged = 0;  // rows whose contact is stored with the row's digest
  std::int64_t spooled = 0;    // rows written to the spool
  // Spooled rows with a valid email and a NULL in some mapped column: an
  // upper bound of the contacts whose update could clear a field (the safety valve).
  std::int64_t rows_with_null = 0;
  // The cursor values read (incremental activations only).
  std::optional<CursorTracker> cursor;
  // False when `index` does not hold the stored contacts (an incremental read
  // that looked contacts up one by one, ModelInputs::look_up_rows): every
  // row with a valid email was spooled, and step 3 looks each one up.
  bool index_complete = true;
  // Spooled rows found unchanged once the stored contacts were loaded
  // (ModelInputs::stored_contacts_ready), by row number, ascending: step 3
  // passes over them. Counted in `unchanged`, not in `spooled`.
  std::vector<std::int64_t> unspooled_rows;
};

// Rows a full read reads ahead at most while the stored contacts load
// (ModelInputs::stored_contacts_ready): 40 bytes each.
inline constexpr std::int64_t k_max_rows_read_ahead = std::int64_t{1} << 18;

// What the reader needs from the run, asked for on the reading thread.
struct ModelInputs {
  // The field plan for the model's mapped columns, in mapped_columns() order
  // (may block: it asks Emarsys).
  std::function<Result<std::vector<PlannedField>>(const std::vector<source::Column>&)>
      resolve_plan;
  // The activation's stored contacts (may block: loaded while the query
  // starts, or on demand when look_up_rows is set).
  std::function<Result<std::vector<store::ContactDigest>>()> stored_contacts;
  // 0: the stored contacts are loaded before the first row (a full read
  // needs them all: who left the model). N > 0 (a small incremental read):
  // they are not loaded while at most N rows were read; each row with a
  // valid email is spooled and looked up in step 3 (a point lookup costs
  // about what loading 40 stored digests does, and a read of 1% of a
  // million contacts would otherwise wait on the whole load). Past N rows
  // the stored contacts are loaded after all, the rows already read are
  // marked in the index (repeated emails are still found), and the rest
  // is diffed as in a full read.
  std::int64_t look_up_rows = 0;
  // With look_up_rows 0: whether stored_contacts() would return at once.
  // Until it would, the reader reads ahead (k_max_rows_read_ahead rows at
  // most, then it waits): it spools each row with a valid email and keeps
  // its email hash and digest; once the stored contacts are there, it judges
  // those rows as it would have on reading them, and the unchanged ones go
  // to ModelSnapshot::unspooled_rows. So the query streams while the stored
  // contacts load. Not set: they are waited for before the first row.
  std::function<bool()> stored_contacts_ready;
};

// Where reading the model streams from and reports to.
struct ReadEnvironment {
  ModelSource model;
  store::StateStore& store;    // rejected rows go there (add_rejections), 1000 at a time
  bool store_rejections = true;  // false: they are only counted (a preview stores nothing)
  RunControl control{};        // rows_read progress; a cancel stops the query in the database
  bool hash_row_keys = false;  // rejected rows keep the email hashed (row_key.hpp)
};

Result<ModelSnapshot> read_model(const RunRequest& request, const ReadEnvironment& env,
                                 const std::string& spool_path, const ModelInputs& inputs);

}  // namespace emsync::sync
