// One run of an activation: read the model, find what changed, send it to
// Emarsys, remember what Emarsys acknowledged.
//
//  1. Load the activation's stored digests (email hash, contact hash) on one
//     pool thread while the model's query starts on another. When the
//     columns arrive, resolve the mapped fields (GET /field, creating missing
//     custom fields). Then each row is converted, hashed and compared with
//     its digest as it streams: an unchanged contact is only counted; new,
//     changed and doubtful rows (a value that does not convert, an email seen
//     before) go to a spool file. Rows with a missing or invalid email are
//     rejected. Memory: 16 bytes per stored contact, 8 per new one.
//  2. The safety valve: the model's size against the last successful run,
//     and how many contacts an update would clear.
//  3. Read the spool back; per contact, load its stored field hashes and
//     diff them (every row of an email that appears more than once is
//     rejected); batch the changes (1000 contacts / 8 MB).
//  4. Per batch: PUT /contact (update only); with insert_new_contacts, POST
//     /contact the ones Emarsys did not know (2008) with the new-contacts list
//     id, so only those join the list; a 2009 on create is retried as an
//     update. Then store the new hashes of acknowledged contacts, in one
//     transaction per batch: an unacknowledged contact is never "unchanged".
//  5. At the end of a completed run, drop the state of contacts that left the
//     model.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "config/activation.hpp"
#include "emarsys/client.hpp"
#include "source/row_source.hpp"
#include "store/state_store.hpp"

namespace emsync::sync {

// How far a run is, for `emsyncctl status`: written by the run (from the
// pool's threads too), read by the event loop.
struct RunProgress {
  std::atomic<std::int64_t> rows_read{0};  // rows streamed from the source so far
  // When the model was read (rows_read final) and sending began; 0 before.
  std::atomic<UnixMillis> sending_since{0};
  // Rows settled (unchanged, sent, rejected or failed); reaches rows_read.
  std::atomic<std::int64_t> rows_settled{0};
};

// What a run uses; owned by the caller, must outlive the run.
struct RunEnvironment {
  boost::asio::thread_pool& pool;  // blocking work: source, store, spool
  store::StateStore& store;
  emarsys::Client& client;
  source::RowSource& source;
  source::QueryOptions query_options;
  std::optional<std::int64_t> new_contacts_list_id;
  std::string spool_dir;
  // Set to stop the run at the next batch boundary (status `cancelled`).
  const std::atomic<bool>* cancel_requested = nullptr;
  RunProgress* progress = nullptr;  // optional
  // A contact Emarsys rejected with the same error for the same data this
  // many runs in a row is skipped (parked) until its data changes or its
  // streak is cleared (emsyncctl retry). 0: never.
  int park_after_rejections = 5;
  // rejected_row_keys hashed: rejected rows are stored with the email hashed
  // (row_key.hpp), in their key and their message.
  bool hash_row_keys = false;
  // Counts the run's Emarsys requests (optional), for its run_finished line.
  emarsys::RequestStats* request_stats = nullptr;
};

struct RunRequest {
  std::int64_t run_id = 0;
  std::int64_t activation_id = 0;
  config::Activation activation;
  bool full = false;
  bool force = false;  // pass the safety valve (see safety_valve.hpp)
};

struct RunOutcome {
  store::RunStatus status = store::RunStatus::failed;
  store::RunCounts counts;
  std::optional<std::string> error;
  // Failed for a reason that will not fix itself (the source or its query,
  // auth, a missing field or list): counts towards auto-pause.
  bool needs_attention = false;
  std::int64_t batches = 0;  // contact batches sent to Emarsys
};

// Runs on the caller's executor (the event loop); blocking steps go to
// env.pool. Never throws: every failure ends in the outcome.
boost::asio::awaitable<RunOutcome> execute_run(const RunRequest& request, RunEnvironment& env);

}  // namespace emsync::sync
