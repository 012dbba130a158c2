// Hands a source's rows to another thread: the source keeps reading and
// decoding (libpq, COPY text) while a worker thread converts, hashes and
// diffs, so a run reads about as fast as the slower of the two, not their sum.
// Internal to the sync module.
//
// Rows travel in chunks through a bounded queue of k_chunks chunks, and
// chunks are recycled with their string buffers, so memory stays flat and a
// steady stream allocates nothing. The bound is in bytes: a chunk is handed
// over when it holds 2048 rows (fewer for a wide model: at most 8192 values)
// or 1 MiB of values, whichever comes first, and a value is never copied
// beyond k_max_value_bytes + 1 bytes; buffers a chunk keeps beyond 2 MiB are
// released when it comes back. So the rows in flight take at most 4 × (1 MiB
// + one row) for the values, plus 4 × 2 MiB of kept buffers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "source/row_source.hpp"

namespace emsync::sync {

// A model with more columns fails the run (on_columns).
inline constexpr std::size_t k_max_columns = 1024;
// A longer value reaches `inner` cut to k_max_value_bytes + 1 bytes, so that
// it knows the value was too long (and rejects its row) without the pipeline
// holding it whole.
inline constexpr std::size_t k_max_value_bytes = std::size_t{1} << 20;

class RowPipeline : public source::RowSink {
 public:
  // `inner` receives on_columns() on the source's thread, then every row on
  // the worker thread, in order, a chunk at a time (RowSink::on_rows).
  explicit RowPipeline(source::RowSink& inner);
  // Stops the worker (if finish() was not called) and joins it.
  ~RowPipeline() override;
  RowPipeline(const RowPipeline&) = delete;
  RowPipeline& operator=(const RowPipeline&) = delete;

  // Fails (Errc::invalid_input) for more than k_max_columns columns.
  Result<void> on_columns(const std::vector<source::Column>& columns) override;
  // Fails with the worker's error once `inner` refused a row (the source
  // then stops reading).
  Result<void> on_row(std::span<const source::Value> values) override;
  // Hands over the last rows and waits until `inner` has taken them all;
  // `inner`'s first error, if any.
  Result<void> finish();

 private:
  struct Chunk {
    std::vector<source::Value> values;  // rows × columns, row by row
    std::size_t rows = 0;
    std::size_t bytes = 0;  // of the values of those rows
  };

  void work();
  std::unique_ptr<Chunk> take_free_chunk();  // blocks while none is free
  void hand_over(std::unique_ptr<Chunk> chunk);

  source::RowSink& m_inner;
  std::size_t m_columns = 0;
  std::size_t m_rows_per_chunk = 0;
  std::unique_ptr<Chunk> m_filling;  // on the source's thread

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::unique_ptr<Chunk>> m_full;  // waiting for the worker
  std::vector<std::unique_ptr<Chunk>> m_free;
  bool m_closed = false;  // no more chunks will come
  bool m_done = false;    // the worker has stopped
  std::optional<Error> m_error;
  std::thread m_worker;  // last: started after the members it uses
};

}  // namespace emsync::sync
