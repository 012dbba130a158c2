#include "sync/batch_preparer.hpp"

#include <algorithm>

#include "core/hash.hpp"
#include "core/quote.hpp"
#include "sync/diff.hpp"

namespace emsync::sync {

namespace {

// Rows examined per batch at most, so a long run of unchanged rows still
// reports progress and notices cancellation.
constexpr int k_rows_per_step = 50000;
// Rows whose stored state is read in one store call.
constexpr std::size_t k_rows_per_lookup = 1000;
// Refreshed states per batch at most (a batch holds them until it settles).
constexpr std::size_t k_refreshed_per_batch = 1000;

}  // namespace

BatchPreparer::BatchPreparer(const RunRequest& request, store::StateStore& store,
                             SpoolReader reader, const ModelSnapshot& snapshot,
                             std::vector<PlannedField> plan)
    : m_request(request),
      m_store(store),
      m_reader(std::move(reader)),
      m_snapshot(snapshot),
      m_plan(std::move(plan)),
      m_digest(m_plan),
      m_skipped(m_plan.size(), 0) {}

void BatchPreparer::reject(PreparedBatch& batch, const std::string& key, std::string code,
                           std::string message) {
  batch.rejections.push_back({m_request.run_id, key, std::move(code), std::move(message)});
}

Result<bool> BatchPreparer::fill_chunk() {
  m_chunk.resize(k_rows_per_lookup);
  std::size_t filled = 0;
  while (filled < k_rows_per_lookup) {
    auto more = m_reader.next(m_chunk[filled]);
    if (!more) {
      return more.error();
    }
    if (!*more) {
      break;
    }
    ++filled;
  }
  m_chunk.resize(filled);
  m_next = 0;
  // Only contacts the state DB has are looked up (none on a first run), or
  // every one when the index was not loaded (an incremental read).
  std::vector<std::string> emails;
  std::vector<std::size_t> stored_rows;
  for (std::size_t i = 0; i < filled; ++i) {
    if (!m_snapshot.index_complete || m_snapshot.index.stored(hash64(m_chunk[i].email))) {
      emails.push_back(m_chunk[i].email);
      stored_rows.push_back(i);
    }
  }
  m_states.assign(filled, std::nullopt);
  if (!emails.empty()) {
    auto states = m_store.load_contacts(m_request.activation_id, emails);
    if (!states) {
      return states.error();
    }
    for (std::size_t i = 0; i < stored_rows.size(); ++i) {
      m_states[stored_rows[i]] = std::move((*states)[i]);
    }
  }
  return filled > 0;
}

std::string duplicate_email_message(std::int64_t row_number, const std::string& email) {
  return "row " + std::to_string(row_number) + ": email " + quote_value(email) +
         " appears in several rows of the model; none of them is sent (make the model return "
         "one row per email)";
}

Result<std::optional<PendingContact>> BatchPreparer::examine(
    const SpooledRow& row, const std::optional<store::ContactState>& stored, PreparedBatch& batch) {
  const auto& dups = m_snapshot.duplicate_hashes;
  if (std::binary_search(dups.begin(), dups.end(), hash64(row.email))) {
    reject(batch, row.email, "duplicate_email", duplicate_email_message(row.row_number, row.email));
    return std::optional<PendingContact>();
  }
  auto values = mapped_values(m_plan, row.values);
  if (!values) {
    reject(batch, row.email, rejection_code(values.error()), values.error().message);
    return std::optional<PendingContact>();
  }
  for (std::size_t i = 0; i < values->size(); ++i) {
    m_skipped[i] += (*values)[i].skipped ? 1 : 0;
  }
  ContactChange change = diff_contact(*values, stored, m_request.full(), m_digest(row.values));
  if (change.unchanged) {
    ++batch.unchanged;
    if (change.refresh) {
      batch.refreshed.push_back({row.email, std::move(change.new_state)});
    }
    return std::optional<PendingContact>();
  }
  if (auto parked = m_parked.find(row.email);
      parked != m_parked.end() && parked->second.contact_hash == change.new_state.contact_hash) {
    const auto& streak = parked->second;
    reject(batch, row.email, "parked",
           "Emarsys rejected this contact " + std::to_string(streak.streak) +
               " runs in a row with " + streak.code +
               " for the same data; it is skipped until its data changes or `emsyncctl retry " +
               m_request.activation.name + "`");
    return std::optional<PendingContact>();
  }
  return std::optional<PendingContact>(PendingContact{
      row.email, contact_json(row.email, change.changed), contact_json(row.email, change.full),
      std::move(change.new_state), change.clears_field, stored.has_value()});
}

void BatchPreparer::park(std::vector<store::RejectionStreak> parked) {
  for (auto& streak : parked) {
    std::string email = streak.email;
    m_parked.emplace(std::move(email), std::move(streak));
  }
}

Result<PreparedBatch> BatchPreparer::next() {
  PreparedBatch batch;
  BatchBounds bounds;
  auto add = [&](PendingContact& contact) {
    bounds.add(contact.update_json);
    batch.contacts.push_back(std::move(contact));
  };
  if (m_carry) {
    add(*m_carry);
    m_carry.reset();
  }
  for (int examined = 0;
       examined < k_rows_per_step && batch.refreshed.size() < k_refreshed_per_batch; ++examined) {
    if (m_next == m_chunk.size()) {
      auto more = fill_chunk();
      if (!more) {
        return more.error();
      }
      if (!*more) {
        batch.last = true;
        break;
      }
    }
    const SpooledRow& row = m_chunk[m_next];
    const auto& stored = m_states[m_next];
    ++m_next;
    auto change = examine(row, stored, batch);
    if (!change) {
      return change.error();
    }
    if (!*change) {
      continue;
    }
    if (bounds.fits((*change)->update_json)) {
      add(**change);
    } else if (bounds.empty()) {
      reject(batch, row.email, "too_large", "the contact's payload exceeds Emarsys' 8 MB limit");
    } else {
      m_carry = std::move(*change);
      break;
    }
  }
  return batch;
}

}  // namespace emsync::sync
