// Step 3 of a run: read the spool (the rows step 1 could not call unchanged)
// back, diff each contact against its stored state, and cut the changes
// into batches. Blocking (runs on the pool).
// Internal to the sync module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sync/batch.hpp"
#include "sync/field_plan.hpp"
#include "sync/model_reader.hpp"
#include "sync/row_digest.hpp"
#include "sync/spool.hpp"

namespace emsync::sync {

// A changed contact waiting for Emarsys' answer.
struct PendingContact {
  std::string email;
  std::string update_json;  // the changed fields: what the update sends
  std::string full_json;    // every non-NULL value: sent if the contact must be created
  store::ContactState new_state;
  bool clears_field = false;  // the update clears a field emsync had sent
  bool known = false;         // emsync holds a state for it: Emarsys was sent it before
};

struct PreparedBatch {
  std::vector<PendingContact> contacts;  // changed, within one request's limits
  std::vector<store::Rejection> rejections;
  std::int64_t unchanged = 0;
  // Unchanged contacts whose state must be stored again, with their row's
  // new digest (ContactChange::refresh): nothing to send, stored as they
  // are (they count in `unchanged`).
  std::vector<store::ContactUpdate> refreshed;
  bool last = false;  // the spool is exhausted
};

// Why a row of an email that the model returns in several rows is rejected
// (code "duplicate_email"; list runs reject them the same way).
std::string duplicate_email_message(std::int64_t row_number, const std::string& email);

class BatchPreparer {
 public:
  // `store` is read for the stored states of the spooled contacts; `reader`
  // passes over the snapshot's unspooled_rows.
  BatchPreparer(const RunRequest& request, store::StateStore& store, SpoolReader reader,
                const ModelSnapshot& snapshot, std::vector<PlannedField> plan);

  // Contacts to skip while their data is what Emarsys kept rejecting.
  void park(std::vector<store::RejectionStreak> parked);

  // The next batch: at most 1000 contacts / 8 MB of changes (and at most
  // 1000 refreshed states), or fewer when the spool ends or many rows were
  // read (so progress is reported).
  Result<PreparedBatch> next();

  // Per planned field, the values left out so far because they were too
  // long for it (on_value_too_long: skip_field), in the rows examined.
  const std::vector<std::int64_t>& skipped_values() const { return m_skipped; }

 private:
  // The change of one row, nullopt when unchanged or rejected (counted in `batch`).
  Result<std::optional<PendingContact>> examine(const SpooledRow& row,
                                        const std::optional<store::ContactState>& stored,
                                        PreparedBatch& batch);
  // Reads the next rows of the spool with their stored states (one store
  // call for many rows); false at the end of the spool.
  Result<bool> fill_chunk();
  void reject(PreparedBatch& batch, const std::string& key, std::string code, std::string message);

  const RunRequest& m_request;
  store::StateStore& m_store;
  SpoolReader m_reader;
  const ModelSnapshot& m_snapshot;
  std::vector<PlannedField> m_plan;
  RowDigester m_digest;
  std::vector<std::int64_t> m_skipped;  // by plan index
  std::optional<PendingContact> m_carry;  // did not fit in the previous batch
  std::unordered_map<std::string, store::RejectionStreak> m_parked;  // by email
  std::vector<SpooledRow> m_chunk;
  std::vector<std::optional<store::ContactState>> m_states;  // of m_chunk's rows
  std::size_t m_next = 0;                                    // in m_chunk
};

}  // namespace emsync::sync
