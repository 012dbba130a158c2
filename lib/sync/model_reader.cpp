#include "sync/model_reader.hpp"

#include <algorithm>

#include "core/hash.hpp"
#include "sync/email.hpp"
#include "sync/field_plan.hpp"
#include "sync/row_key.hpp"
#include "sync/spool.hpp"

namespace emsync::sync {

namespace {

constexpr std::size_t k_rejection_flush = 1000;

std::string join_names(const std::vector<source::Column>& columns) {
  std::string out;
  for (const auto& column : columns) {
    out += (out.empty() ? "" : ", ") + column.name;
  }
  return out;
}

// Receives the source's rows and writes the run's spool.
class SpoolingSink : public source::RowSink {
 public:
  SpoolingSink(const RunRequest& request, RunEnvironment& env, SpoolWriter& writer)
      : m_request(request), m_env(env), m_writer(writer) {}

  Result<void> on_columns(const std::vector<source::Column>& columns) override {
    auto email = find_column(columns, m_request.activation.email_column);
    if (!email) {
      return email.error();
    }
    m_email_index = *email;
    for (const auto& name : mapped_columns(m_request.activation)) {
      auto index = find_column(columns, name);
      if (!index) {
        return index.error();
      }
      m_value_indexes.push_back(*index);
      m_snapshot.column_types.push_back(columns[*index].type);
    }
    return ok();
  }

  Result<void> on_row(std::span<const source::Value> values) override {
    const std::int64_t row_number = ++m_snapshot.rows_read;
    if (m_env.progress) {
      m_env.progress->rows_read.store(row_number, std::memory_order_relaxed);
    }
    if (m_env.cancel_requested && m_env.cancel_requested->load()) {
      return make_error(Errc::cancelled, "run cancelled while reading the model");
    }
    const auto& raw = values[m_email_index];
    auto email = normalize_email(raw ? std::string_view(*raw) : std::string_view());
    if (!email) {
      return reject(row_number, raw ? "invalid_email" : "missing_email", email.error().message,
                    raw ? fold_email(*raw) : std::string());
    }
    m_snapshot.email_hashes.push_back(hash64(*email));
    m_row.row_number = row_number;
    m_row.email = std::move(*email);
    m_row.values.clear();
    bool has_null = false;
    for (std::size_t index : m_value_indexes) {
      has_null = has_null || !values[index];
      m_row.values.push_back(values[index]);
    }
    m_snapshot.rows_with_null += has_null ? 1 : 0;
    return m_writer.write(m_row);
  }

  Result<ModelSnapshot> finish() {
    EMSYNC_TRY(flush_rejections());
    EMSYNC_TRY(m_writer.finish());
    auto& hashes = m_snapshot.email_hashes;
    std::sort(hashes.begin(), hashes.end());
    for (auto it = hashes.begin(); it != hashes.end();) {
      auto end = std::upper_bound(it, hashes.end(), *it);
      if (end - it > 1) {
        m_snapshot.duplicate_hashes.push_back(*it);
      }
      it = end;
    }
    // No shrink_to_fit(): it would copy the vector, briefly doubling its memory.
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    return std::move(m_snapshot);
  }

 private:
  Result<std::size_t> find_column(const std::vector<source::Column>& columns,
                                  const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == name) {
        return i;
      }
    }
    return make_error(Errc::invalid_input, "activation '" + m_request.activation.name +
                                               "': the model has no column '" + name +
                                               "' (its columns: " + join_names(columns) + ")");
  }

  // `email`: the invalid email the message quotes ("" when none).
  Result<void> reject(std::int64_t row_number, std::string code, std::string message,
                      const std::string& email) {
    ++m_snapshot.rejected;
    m_rejections.push_back(
        {m_request.run_id, "row " + std::to_string(row_number), std::move(code), std::move(message)});
    if (m_env.hash_row_keys) {
      hide_email(m_rejections.back(), email);
    }
    return m_rejections.size() >= k_rejection_flush ? flush_rejections() : ok();
  }

  Result<void> flush_rejections() {
    if (m_rejections.empty()) {
      return ok();
    }
    auto stored = m_env.store.add_rejections(m_request.activation_id, m_rejections);
    m_rejections.clear();
    return stored;
  }

  const RunRequest& m_request;
  RunEnvironment& m_env;
  SpoolWriter& m_writer;
  std::size_t m_email_index = 0;
  std::vector<std::size_t> m_value_indexes;
  SpooledRow m_row;
  ModelSnapshot m_snapshot;
  std::vector<store::Rejection> m_rejections;
};

}  // namespace

Result<ModelSnapshot> read_model(const RunRequest& request, RunEnvironment& env,
                                 const std::string& spool_path) {
  auto writer = SpoolWriter::create(spool_path);
  if (!writer) {
    return writer.error();
  }
  SpoolingSink sink(request, env, *writer);
  EMSYNC_TRY(env.source.stream(request.activation.query, env.query_options, sink));
  return sink.finish();
}

}  // namespace emsync::sync
