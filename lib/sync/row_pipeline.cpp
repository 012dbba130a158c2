#include "sync/row_pipeline.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace emsync::sync {

namespace {

// Rows per chunk and chunks in all: enough to keep both threads busy
// through the unevenness of single rows, small enough to stay in cache. A
// chunk costs a handover, and a thread waiting for it a wake-up: at 256 rows,
// a one-column list model's 1M rows cost the two threads 0.1 s CPU in them.
constexpr std::size_t k_rows_per_chunk = 2048;
constexpr std::size_t k_values_per_chunk = 8192;
constexpr std::size_t k_chunks = 4;
// A chunk is handed over once its values take this many bytes.
constexpr std::size_t k_chunk_bytes = std::size_t{1} << 20;
// A chunk coming back with more string capacity than this releases it.
constexpr std::size_t k_kept_bytes = 2 * k_chunk_bytes;

// Drops the buffers of a chunk that keeps more than k_kept_bytes (rows of
// large values once went through it), so that recycling does not hoard them.
void release_large_buffers(std::vector<source::Value>& values) {
  std::size_t kept = 0;
  for (const auto& value : values) {
    kept += value ? value->capacity() : 0;
  }
  if (kept > k_kept_bytes) {
    for (auto& value : values) {
      value.reset();
    }
  }
}

}  // namespace

RowPipeline::RowPipeline(source::RowSink& inner) : m_inner(inner) {}

RowPipeline::~RowPipeline() {
  {
    std::lock_guard lock(m_mutex);
    m_closed = true;
    if (!m_error) {
      m_error = make_error(Errc::cancelled, "the row pipeline was stopped");
    }
  }
  m_changed.notify_all();
  if (m_worker.joinable()) {
    m_worker.join();
  }
}

Result<void> RowPipeline::on_columns(const std::vector<source::Column>& columns) {
  if (columns.size() > k_max_columns) {
    return make_error(Errc::invalid_input, "the model has " + std::to_string(columns.size()) +
                                               " columns, more than the " +
                                               std::to_string(k_max_columns) + " allowed");
  }
  EMSYNC_TRY(m_inner.on_columns(columns));
  m_columns = columns.size();
  m_rows_per_chunk = std::clamp<std::size_t>(
      k_values_per_chunk / std::max<std::size_t>(m_columns, 1), 1, k_rows_per_chunk);
  for (std::size_t i = 0; i < k_chunks; ++i) {
    auto chunk = std::make_unique<Chunk>();
    chunk->values.resize(m_rows_per_chunk * m_columns);
    m_free.push_back(std::move(chunk));
  }
  // Not a pool thread: the source's pool thread blocks on this one, and a
  // pool with every thread waiting for a queued task would deadlock. One per
  // run, so still bounded by max_concurrent_runs.
  m_worker = std::thread([this] { work(); });
  return ok();
}

Result<void> RowPipeline::on_row(std::span<const source::Value> values) {
  if (!m_filling) {
    m_filling = take_free_chunk();
    if (!m_filling) {
      std::lock_guard lock(m_mutex);
      return *m_error;
    }
  }
  auto* slot = m_filling->values.data() + m_filling->rows * m_columns;
  for (std::size_t i = 0; i < m_columns; ++i, ++slot) {
    const auto& value = values[i];
    if (!value) {
      slot->reset();
      continue;
    }
    const std::string_view kept = std::string_view(*value).substr(0, k_max_value_bytes + 1);
    if (*slot) {
      (*slot)->assign(kept);  // keeps the buffer
    } else {
      slot->emplace(kept);
    }
    m_filling->bytes += kept.size();
  }
  if (++m_filling->rows == m_rows_per_chunk || m_filling->bytes >= k_chunk_bytes) {
    hand_over(std::move(m_filling));
  }
  return ok();
}

Result<void> RowPipeline::finish() {
  if (m_filling && m_filling->rows > 0) {
    hand_over(std::move(m_filling));
  }
  std::unique_lock lock(m_mutex);
  m_closed = true;
  m_changed.notify_all();
  m_changed.wait(lock, [&] { return m_done || !m_worker.joinable(); });
  if (m_error) {
    return *m_error;
  }
  return ok();
}

std::unique_ptr<RowPipeline::Chunk> RowPipeline::take_free_chunk() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return !m_free.empty() || m_error; });
  if (m_error) {
    return nullptr;
  }
  auto chunk = std::move(m_free.back());
  m_free.pop_back();
  chunk->rows = 0;
  chunk->bytes = 0;
  return chunk;
}

void RowPipeline::hand_over(std::unique_ptr<Chunk> chunk) {
  {
    std::lock_guard lock(m_mutex);
    m_full.push_back(std::move(chunk));
  }
  m_changed.notify_all();
}

void RowPipeline::work() {
  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] { return !m_full.empty() || m_closed || m_error; });
      if (m_error || m_full.empty()) {
        break;  // failed, stopped, or closed and drained
      }
      chunk = std::move(m_full.front());
      m_full.pop_front();
    }
    std::optional<Error> failure;
    if (auto taken = m_inner.on_rows(
            std::span<const source::Value>(chunk->values.data(), chunk->rows * m_columns),
            m_columns);
        !taken) {
      failure = taken.error();
    }
    release_large_buffers(chunk->values);
    std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(chunk));
    if (failure && !m_error) {
      m_error = std::move(failure);
    }
    m_changed.notify_all();
  }
  std::lock_guard lock(m_mutex);
  m_done = true;
  m_changed.notify_all();
}

}  // namespace emsync::sync
