#include "sync/model_reader.hpp"

#include <algorithm>
#include <array>

#include "core/hash.hpp"
#include "core/quote.hpp"
#include "sync/diff.hpp"
#include "sync/email.hpp"
#include "sync/field_plan.hpp"
#include "sync/row_digest.hpp"
#include "sync/row_key.hpp"
#include "sync/row_pipeline.hpp"
#include "sync/spool.hpp"

namespace emsync::sync {

namespace {

constexpr std::size_t k_rejection_flush = 1000;
// Rows whose lookups are prefetched together (ContactIndex::prefetch): enough
// to overlap their cache misses, few enough that the lines stay in cache.
constexpr std::size_t k_rows_prefetched = 16;

// A row's email as the reader keys it (normalize_email_into: its buffer is
// reused from row to row), and its hash64; or why it is no email.
struct RowEmail {
  std::string email;
  Result<void> valid = make_error(Errc::invalid_input, "email not read");
  std::uint64_t hash = 0;
};

std::string join_names(const std::vector<source::Column>& columns) {
  std::string out;
  for (const auto& column : columns) {
    out += (out.empty() ? "" : ", ") + column.name;
  }
  return out;
}

// Receives the source's rows, diffs them against the stored digests and
// spools those that may have to be sent.
class SpoolingSink : public source::RowSink {
 public:
  SpoolingSink(const RunRequest& request, const ReadEnvironment& env, const ModelInputs& inputs,
               SpoolWriter& writer)
      : m_request(request), m_env(env), m_inputs(inputs), m_writer(writer) {}

  Result<void> on_columns(const std::vector<source::Column>& columns) override {
    auto email = find_column(columns, m_request.activation.email_column);
    if (!email) {
      return email.error();
    }
    m_email_index = *email;
    for (const auto& column : columns) {
      m_column_names.push_back(column.name);
    }
    for (const auto& name : mapped_columns(m_request.activation)) {
      auto index = find_column(columns, name);
      if (!index) {
        return index.error();
      }
      m_value_indexes.push_back(*index);
      m_snapshot.columns.push_back(columns[*index]);
    }
    EMSYNC_TRY(find_cursor(columns));
    auto plan = m_inputs.resolve_plan(m_snapshot.columns);
    if (!plan) {
      return plan.error();
    }
    m_snapshot.plan = std::move(*plan);
    m_digest = RowDigester(m_snapshot.plan);
    if (m_inputs.look_up_rows > 0) {
      m_snapshot.index_complete = false;
      return ok();
    }
    if (m_inputs.stored_contacts_ready && !m_request.full()) {
      m_snapshot.index_complete = false;  // reading ahead
      return ok();
    }
    return load_index();
  }

  Result<void> on_row(std::span<const source::Value> values) override {
    read_email(values, m_group[0]);
    return take_row(values, m_group[0]);
  }

  // A pipeline chunk: its rows in groups of k_rows_prefetched, each group's
  // emails normalised and hashed and their place in the index prefetched
  // (ContactIndex::prefetch) before the group's first row is diffed.
  Result<void> on_rows(std::span<const source::Value> values, std::size_t columns) override {
    const std::size_t rows = columns == 0 ? 0 : values.size() / columns;
    for (std::size_t first = 0; first < rows; first += k_rows_prefetched) {
      const std::size_t count = std::min(k_rows_prefetched, rows - first);
      for (std::size_t i = 0; i < count; ++i) {
        read_email(values.subspan((first + i) * columns, columns), m_group[i]);
        if (m_group[i].valid && m_snapshot.index_complete) {
          m_snapshot.index.prefetch(m_group[i].hash);
        }
      }
      for (std::size_t i = 0; i < count; ++i) {
        EMSYNC_TRY(take_row(values.subspan((first + i) * columns, columns), m_group[i]));
      }
    }
    return ok();
  }

  Result<void> take_row(std::span<const source::Value> values, RowEmail& email) {
    const std::int64_t spooled_before = m_snapshot.spooled;
    EMSYNC_TRY(diff_row(values, email));
    if (m_snapshot.cursor &&
        !m_snapshot.cursor->see(values[m_cursor_index], m_snapshot.spooled != spooled_before)) {
      return make_error(Errc::invalid_input,
                        "activation '" + m_request.activation.name + "': cursor column '" +
                            m_column_names[m_cursor_index] + "' holds a value in row " +
                            std::to_string(m_snapshot.rows_read) + " that is no " +
                            source::to_string(m_snapshot.cursor->type()) +
                            " a watermark can hold (an integer cursor needs whole numbers; a "
                            "date or timestamp one dates of years 1 to 9999, not 'infinity'): "
                            "fix the model, or make that row's cursor NULL");
    }
    return ok();
  }

  Result<ModelSnapshot> finish() {
    if (!m_snapshot.index_complete && reading_ahead()) {  // the model ended first
      EMSYNC_TRY(load_index());
    }
    EMSYNC_TRY(flush_rejections());
    EMSYNC_TRY(m_writer.finish());
    auto& fresh = m_fresh_hashes;
    sort_hashes(fresh);
    auto& duplicates = m_repeated_hashes;
    for (auto it = std::adjacent_find(fresh.begin(), fresh.end()); it != fresh.end();
         it = std::adjacent_find(it + 1, fresh.end())) {
      duplicates.push_back(*it);
    }
    std::sort(duplicates.begin(), duplicates.end());
    duplicates.erase(std::unique(duplicates.begin(), duplicates.end()), duplicates.end());
    m_snapshot.duplicate_hashes = std::move(duplicates);
    return std::move(m_snapshot);
  }

 private:
  // The row's email normalised, and its hash; not read from a value over
  // the limit (diff_row rejects the row).
  void read_email(std::span<const source::Value> values, RowEmail& out) const {
    const auto& raw = values[m_email_index];
    if (raw && raw->size() > k_max_value_bytes) {  // the row is rejected as too large
      out.email.clear();
      out.valid = make_error(Errc::invalid_input, "email not read");
      return;
    }
    out.valid = normalize_email_into(raw ? std::string_view(*raw) : std::string_view(), out.email);
    if (out.valid) {
      out.hash = hash64(out.email);
    }
  }

  // Diffs one row against the stored digests; spools it when it may have to
  // be sent. `email` is read_email(values).
  Result<void> diff_row(std::span<const source::Value> values, RowEmail& row_email) {
    const std::int64_t row_number = ++m_snapshot.rows_read;
    if (m_env.control.progress) {
      m_env.control.progress->rows_read.store(row_number, std::memory_order_relaxed);
    }
    if (m_env.control.cancelled()) {
      return make_error(Errc::cancelled, "run cancelled while reading the model");
    }
    if (auto too_long = long_value(values)) {
      return reject("row " + std::to_string(row_number), "value_too_large",
                    "column '" + m_column_names[*too_long] + "' of row " +
                        std::to_string(row_number) + " holds more than " +
                        std::to_string(k_max_value_bytes) +
                        " bytes, the limit of a source value; the row is not sent",
                    std::string());
    }
    const auto& raw = values[m_email_index];
    const std::string& email = row_email.email;
    if (!row_email.valid) {
      return reject("row " + std::to_string(row_number), raw ? "invalid_email" : "missing_email",
                    row_email.valid.error().message, raw ? email : std::string());
    }
    const std::uint64_t email_hash = row_email.hash;
    if (!m_snapshot.index_complete && index_wanted()) {
      EMSYNC_TRY(load_index());
    }
    if (!m_snapshot.index_complete) {
      if (reading_ahead()) {  // judged once the index is there
        m_rows_ahead.push_back(
            {email_hash, contact_hash(values), row_number, has_null(values), false});
      } else {  // looked up in step 3
        m_fresh_hashes.push_back(email_hash);
      }
      return spool(row_number, email, values);
    }
    switch (m_snapshot.index.see(email_hash, contact_hash(values))) {
      case ContactIndex::Verdict::unchanged:
        ++m_snapshot.unchanged;
        return ok();
      case ContactIndex::Verdict::fresh:
        m_fresh_hashes.push_back(email_hash);
        break;
      case ContactIndex::Verdict::changed:
        break;
      case ContactIndex::Verdict::repeat_of_unchanged:
        // The earlier row was counted unchanged: it becomes a rejection too.
        --m_snapshot.unchanged;
        EMSYNC_TRY(reject(email, "duplicate_email",
                          "email " + quote_value(email) +
                              " appears in several rows of the model (an earlier "
                              "one and row " +
                              std::to_string(row_number) +
                              "); none of them is sent (make the model return one row per email)",
                          email));
        [[fallthrough]];
      case ContactIndex::Verdict::repeat:
        m_repeated_hashes.push_back(email_hash);
        break;
    }
    return spool(row_number, email, values);
  }

  // The first column whose value is over the limit (the pipeline cut it to
  // one byte more), if any.
  std::optional<std::size_t> long_value(std::span<const source::Value> values) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] && values[i]->size() > k_max_value_bytes) {
        return i;
      }
    }
    return std::nullopt;
  }

  // The row's digest (row_digest.hpp), which the stored contact hash of an
  // unchanged contact equals; nullopt when the run sends everything anyway.
  std::optional<std::uint64_t> contact_hash(std::span<const source::Value> values) const {
    if (m_request.full() || m_snapshot.plan.size() != m_value_indexes.size()) {
      return std::nullopt;
    }
    return m_digest(values, m_value_indexes);
  }

  Result<void> spool(std::int64_t row_number, const std::string& email,
                     std::span<const source::Value> values) {
    ++m_snapshot.spooled;
    m_row.row_number = row_number;
    m_row.email = email;
    m_row.values.clear();
    for (std::size_t index : m_value_indexes) {
      m_row.values.push_back(values[index]);
    }
    m_snapshot.rows_with_null += has_null(values) ? 1 : 0;
    return m_writer.write(m_row);
  }

  bool has_null(std::span<const source::Value> values) const {
    return std::any_of(m_value_indexes.begin(), m_value_indexes.end(),
                       [&](std::size_t index) { return !values[index]; });
  }

  bool reading_ahead() const { return m_inputs.look_up_rows == 0; }

  // Whether to load the stored contacts now (REQUIRES: not loaded yet): past
  // look_up_rows, or once they are there (asked every 64 rows) or
  // k_max_rows_read_ahead rows were read ahead.
  bool index_wanted() const {
    if (!reading_ahead()) {
      return m_snapshot.rows_read > m_inputs.look_up_rows;
    }
    const auto ahead = static_cast<std::int64_t>(m_rows_ahead.size());
    return ahead >= k_max_rows_read_ahead || (ahead % 64 == 0 && m_inputs.stored_contacts_ready());
  }

 private:
  // The index of the email or a mapped column; a binary one is refused.
  Result<std::size_t> find_column(const std::vector<source::Column>& columns,
                                  const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == name && columns[i].type == source::ColumnType::binary) {
        return make_error(Errc::invalid_input,
                          "activation '" + m_request.activation.name + "': column '" + name +
                              "' is binary (bytea, varbinary, blob), which emsync does not "
                              "send: cast it to text in the model");
      }
      if (columns[i].name == name) {
        return i;
      }
    }
    return make_error(Errc::invalid_input, "activation '" + m_request.activation.name +
                                               "': the model has no column '" + name +
                                               "' (its columns: " + join_names(columns) + ")");
  }

  // Loads the stored contacts into the index. Rows already spooled without it
  // (ModelInputs::look_up_rows) are marked as read, so that a later row of
  // the same email is a repeat; they are still looked up in step 3.
  Result<void> load_index() {
    auto stored = m_inputs.stored_contacts();
    if (!stored) {
      return stored.error();
    }
    m_snapshot.index = ContactIndex(std::move(*stored));
    m_snapshot.index_complete = true;
    std::vector<std::uint64_t> read_before;
    read_before.swap(m_fresh_hashes);
    for (const std::uint64_t email_hash : read_before) {
      switch (m_snapshot.index.see(email_hash, std::nullopt)) {
        case ContactIndex::Verdict::fresh:
          m_fresh_hashes.push_back(email_hash);
          break;
        case ContactIndex::Verdict::changed:
          break;
        case ContactIndex::Verdict::unchanged:  // not with a nullopt hash
        case ContactIndex::Verdict::repeat:
        case ContactIndex::Verdict::repeat_of_unchanged:
          m_repeated_hashes.push_back(email_hash);
          break;
      }
    }
    judge_rows_ahead();
    return ok();
  }

  // Judges the rows read ahead (spooled) as diff_row() would have on reading
  // them, the index now loaded: the unchanged ones leave the spool
  // (ModelSnapshot::unspooled_rows), but the unchanged row of an email read
  // again ahead, which stays spooled for step 3 to reject as a repeat.
  void judge_rows_ahead() {
    std::vector<std::uint64_t> repeated_unchanged;
    for (std::size_t i = 0; i < m_rows_ahead.size(); ++i) {
      if (i % k_rows_prefetched == 0) {  // the group's lookups, as on_rows() prefetches them
        const std::size_t end = std::min(m_rows_ahead.size(), i + k_rows_prefetched);
        for (std::size_t ahead = i; ahead < end; ++ahead) {
          m_snapshot.index.prefetch(m_rows_ahead[ahead].email_hash);
        }
      }
      RowAhead& row = m_rows_ahead[i];
      switch (m_snapshot.index.see(row.email_hash, row.digest)) {
        case ContactIndex::Verdict::unchanged:
          row.unspooled = true;
          break;
        case ContactIndex::Verdict::fresh:
          m_fresh_hashes.push_back(row.email_hash);
          break;
        case ContactIndex::Verdict::changed:
          break;
        case ContactIndex::Verdict::repeat_of_unchanged:
          repeated_unchanged.push_back(row.email_hash);
          [[fallthrough]];
        case ContactIndex::Verdict::repeat:
          m_repeated_hashes.push_back(row.email_hash);
          break;
      }
    }
    std::sort(repeated_unchanged.begin(), repeated_unchanged.end());
    for (const RowAhead& row : m_rows_ahead) {
      if (row.unspooled && !std::binary_search(repeated_unchanged.begin(),
                                               repeated_unchanged.end(), row.email_hash)) {
        m_snapshot.unspooled_rows.push_back(row.row_number);
        ++m_snapshot.unchanged;
        --m_snapshot.spooled;
        m_snapshot.rows_with_null -= row.has_null ? 1 : 0;
      }
    }
    m_rows_ahead = {};
  }

  // The cursor column of an incremental activation: in the model, of a cursor
  // type, and of the filter's type when the read is filtered.
  Result<void> find_cursor(const std::vector<source::Column>& columns) {
    const auto& incremental = m_request.activation.incremental;
    if (!incremental) {
      return ok();
    }
    const std::string& name = incremental->cursor_column;
    const auto found = std::find_if(columns.begin(), columns.end(),
                                    [&](const source::Column& column) { return column.name == name; });
    const std::string prefix = "activation '" + m_request.activation.name + "': ";
    if (found == columns.end()) {
      return make_error(Errc::invalid_input, prefix + "the model has no cursor column '" + name +
                                                 "' (its columns: " + join_names(columns) + ")");
    }
    const auto& filter = m_env.model.query_options.filter;
    if (filter && cursor_type(found->type) != filter->type) {
      return make_error(Errc::invalid_input,
                        prefix + "cursor column '" + name + "' is now " +
                            source::to_string(found->type) + "; it was " +
                            source::to_string(filter->type) +
                            " when the watermark was stored: `emsyncctl run " +
                            m_request.activation.name +
                            " --full` reads the whole model and starts again from its values");
    }
    EMSYNC_TRY(check_cursor_column(m_request.activation, found->type));
    m_cursor_index = static_cast<std::size_t>(found - columns.begin());
    m_snapshot.cursor.emplace(found->type);
    return ok();
  }

  // `email`: the email the key or message quotes ("" when none).
  Result<void> reject(std::string key, std::string code, std::string message,
                      const std::string& email) {
    ++m_snapshot.rejected;
    m_rejections.push_back({m_request.run_id, std::move(key), std::move(code), std::move(message)});
    finish_rejection(m_rejections.back(), email, m_env.hash_row_keys);
    m_snapshot.rejections.add(m_rejections.back().code, m_rejections.back().row_key);
    return m_rejections.size() >= k_rejection_flush ? flush_rejections() : ok();
  }

  Result<void> flush_rejections() {
    if (m_rejections.empty() || !m_env.store_rejections) {
      m_rejections.clear();
      return ok();
    }
    auto stored = m_env.store.add_rejections(m_request.activation_id, m_rejections);
    m_rejections.clear();
    return stored;
  }

  const RunRequest& m_request;
  const ReadEnvironment& m_env;
  const ModelInputs& m_inputs;
  SpoolWriter& m_writer;
  std::vector<std::string> m_column_names;
  std::size_t m_email_index = 0;
  std::size_t m_cursor_index = 0;  // with m_snapshot.cursor
  std::vector<std::size_t> m_value_indexes;
  RowDigester m_digest{{}};
  std::vector<std::uint64_t> m_fresh_hashes;       // emails not stored, for repeats among them
  std::vector<std::uint64_t> m_repeated_hashes;    // stored emails read more than once
  // A row read ahead of the stored contacts (spooled), to judge once they are there.
  struct RowAhead {
    std::uint64_t email_hash = 0;
    std::optional<std::uint64_t> digest;
    std::int64_t row_number = 0;
    bool has_null = false;
    bool unspooled = false;  // judged unchanged
  };
  std::vector<RowAhead> m_rows_ahead;
  std::array<RowEmail, k_rows_prefetched> m_group;  // on_rows(): the emails of a group of rows
  SpooledRow m_row;
  ModelSnapshot m_snapshot;
  std::vector<store::Rejection> m_rejections;
};

}  // namespace

Result<ModelSnapshot> read_model(const RunRequest& request, const ReadEnvironment& env,
                                 const std::string& spool_path, const ModelInputs& inputs) {
  auto writer = SpoolWriter::create(spool_path);
  if (!writer) {
    return writer.error();
  }
  SpoolingSink sink(request, env, inputs, *writer);
  RowPipeline pipeline(sink);  // the source decodes on this thread, the sink diffs on another
  source::QueryOptions options = env.model.query_options;
  if (env.control.cancel_requested != nullptr) {
    // Also while the database computes the first row, long before on_row().
    options.cancel_requested = env.control.cancel_requested;
  }
  EMSYNC_TRY(env.model.rows.stream(request.activation.query, options, pipeline));
  EMSYNC_TRY(pipeline.finish());
  return sink.finish();
}

}  // namespace emsync::sync
