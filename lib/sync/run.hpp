// One run of an activation: read the model, find what changed, send it to
// Emarsys, remember what Emarsys acknowledged.
//
//  1. Load the activation's stored digests (email hash, contact hash) on one
//     pool thread while the model's query starts on another. When the
//     columns arrive, resolve the mapped fields (GET /field, creating missing
//     custom fields, and reading each choice field's choices once:
//     choices.hpp). Then each row is converted, hashed and compared with
//     its digest as it streams: an unchanged contact is only counted; new,
//     changed and doubtful rows (a value that does not convert, an email seen
//     before) go to a spool file. Rows with a missing or invalid email are
//     rejected. Memory: 16 bytes per stored contact, 8 per new one.
//     An incremental activation first plans its read (read_plan.hpp): a full
//     read as above, or only the rows whose cursor moved, which are not
//     diffed against loaded digests but each spooled and looked up in step 3
//     (ModelInputs::look_up_rows).
//  2. The safety valve: the model's size against the last successful run
//     (full reads only), and how many contacts an update would clear; and
//     the data-quality rule (data_quality.hpp): how many rows are rejected
//     before sending. When the rows read could break a rule, the spool is
//     read once without sending (a dry pass) to count them exactly.
//  3. Read the spool back; per contact, load its stored field hashes and
//     diff them (every row of an email that appears more than once is
//     rejected); batch the changes (1000 contacts / 8 MB).
//  4. Per batch (batch_sender.hpp): the contacts emsync sent before are
//     updated (PUT /contact with what changed); so is everyone when
//     insert_new_contacts is off, and a 2008 (Emarsys does not know the
//     contact) counts as not_found. With insert_new_contacts, contacts
//     emsync never sent are created first (POST /contact with every non-NULL
//     value and the new-contacts list id, so only those created join the
//     list) while the run finds that Emarsys does not know them
//     (NewContactRoute: the majority of their answers so far; the first
//     batch creates), and updated first once it mostly knows them; an
//     update's 2008 is then created, a create's 2009 updated in full. A
//     request Emarsys refuses whole (a 400) is split in halves until the
//     contacts at fault are alone and rejected. Up to concurrent_requests()
//     batches are in flight. Then, batch by batch in order, the new hashes
//     of acknowledged contacts are stored with the batch's rejections and
//     the run's counts in one transaction: an unacknowledged contact is
//     never "unchanged".
//  5. At the end of a completed full read, drop the state of contacts that
//     left the model; an incremental activation stores its watermark, which
//     advances only over settled rows (read_plan.hpp), whatever the outcome.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emarsys/api_types.hpp"
#include "store/state_store.hpp"
#include "sync/preview.hpp"
#include "sync/run_inputs.hpp"

namespace emsync::sync {

// What the daemon's config says of rejected contacts.
struct RejectionPolicy {
  // A contact Emarsys rejected with the same error for the same data this
  // many runs in a row is skipped (parked) until its data changes or its
  // streak is cleared (emsyncctl retry). 0: never.
  int park_after = 5;
  // rejected_row_keys hashed: rejected rows are stored with the email hashed
  // (row_key.hpp), in their key and their message.
  bool hash_row_keys = false;
};

// What a run uses (run_inputs.hpp has the pieces); owned by the caller, must
// outlive the run.
struct RunEnvironment {
  RunResources resources;
  RunControl control{};  // cancel flag and progress, both optional
  RejectionPolicy rejections{};
  // Counts the run's Emarsys requests (optional), for its run_finished line.
  emarsys::RequestStats* request_stats = nullptr;
};

struct RunOutcome {
  store::RunStatus status = store::RunStatus::failed;
  store::RunCounts counts;
  std::optional<std::string> error;
  // Failed for a reason that will not fix itself (the source or its query,
  // auth, a missing field or list): counts towards auto-pause.
  bool needs_attention = false;
  std::int64_t batches = 0;  // contact batches sent to Emarsys
  // How the model was read (full, or incremental from a watermark); also
  // stored with the run (StateStore::set_run_read) once it is planned.
  store::RunRead read{};
  // What the report warns of (data_quality.hpp: run_warnings), for a run
  // that sent what it could.
  std::vector<std::string> warnings{};
};

// How a run ends when `error` stops it: `cancelled` or `failed`, with the
// rows it did not settle (rows_read - settled) counted failed (they are
// retried next run); it needs attention when the cause will not fix itself
// (the source, credentials, the definition, a refusal). safety_stop(): the
// safety valve or a data-quality rule stopped it, `failed` with `reason`;
// a decision, not a fault, so it never needs attention (no auto-pause).
RunOutcome stopped_run(const Error& error, store::RunCounts counts, std::int64_t settled,
                       std::int64_t batches);
RunOutcome safety_stop(const std::string& reason, store::RunCounts counts, std::int64_t settled,
                       std::int64_t batches);

// Runs on the caller's executor (the event loop); blocking steps go to
// env.resources.pool. Never throws: every failure ends in the outcome. A
// list activation (config::Mode::list) runs as list_run.hpp says.
boost::asio::awaitable<RunOutcome> execute_run(const RunRequest& request,
                                               const RunEnvironment& env);

// What execute_run() would do now (preview.hpp), by the same steps 1 to 3:
// the model read and diffed, the safety valve and max_rejected_percent
// judged (whatever request.safety_valve says), the batches prepared; then
// the current values of the first `sample_limit` contacts it would send are
// read from Emarsys (POST /contact/getdata). Sends nothing (a missing custom
// field is not created but reported) and stores nothing: no run, no contact
// state, no rejection, no watermark. request.run_id is not used. A list
// activation's preview is list_run.hpp's preview_list_run (RunPreview::list).
// `request` and `env` must outlive the call.
boost::asio::awaitable<Result<RunPreview>> preview_run(const RunRequest& request,
                                                       const RunEnvironment& env,
                                                       int sample_limit);

}  // namespace emsync::sync
