// What a run is given: the request, and the pieces of its environment that
// its stages share. Each stage takes only the pieces it uses: reading the
// model (model_reader.hpp) a ModelSource, the store and a RunControl;
// preparing batches (batch_preparer.hpp) the store; sending them
// (batch_sender.hpp) the ContactApi; the preflight check (preflight.hpp)
// the RunResources; a whole run (run.hpp) a RunEnvironment.
//
// Built with designated initializers, so that every piece is named where it
// is given:
//
//   const sync::RunRequest request{.run_id = id, .activation_id = record.id,
//                                  .activation = activation,
//                                  .scope = sync::Scope::full};
//   const sync::RunResources resources{
//       .pool = pool, .store = store,
//       .model = {.rows = source, .query_options = options},
//       .destination = {.api = client, .new_contacts_list_id = std::nullopt},
//       .spool_dir = "/var/lib/emsync/spool"};
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "config/activation.hpp"
#include "core/time.hpp"
#include "emarsys/contact_api.hpp"
#include "source/row_source.hpp"
#include "store/state_store.hpp"
#include "sync/run_scope.hpp"

namespace emsync::sync {

struct RunRequest {
  std::int64_t run_id = 0;  // 0 for a preflight check, which records no run
  std::int64_t activation_id = 0;
  config::Activation activation{};
  Scope scope = Scope::changes;
  SafetyValve safety_valve = SafetyValve::enforce;

  bool full() const { return scope == Scope::full; }
};

// How far a run is, for `emsyncctl status`: written by the run (from the
// pool's threads too), read by the event loop.
struct RunProgress {
  std::atomic<std::int64_t> rows_read{0};  // rows streamed from the source so far
  // When the model was read (rows_read final) and sending began; 0 before.
  std::atomic<UnixMillis> sending_since{0};
  // Rows settled (unchanged, sent, rejected or failed); reaches rows_read.
  std::atomic<std::int64_t> rows_settled{0};
};

// How the caller follows and stops a run; both optional, owned by the caller.
struct RunControl {
  // Set to stop the run (status `cancelled`): while the model is read, its
  // query is cancelled in the database within about 100 ms
  // (QueryOptions::cancel_requested); while sending, at the next batch
  // boundary. Read from the pool's threads too.
  const std::atomic<bool>* cancel_requested = nullptr;
  RunProgress* progress = nullptr;

  bool cancelled() const { return cancel_requested && cancel_requested->load(); }
};

// Where the model's rows come from. A run's RunControl::cancel_requested,
// when set, replaces query_options.cancel_requested (model_reader.hpp).
struct ModelSource {
  source::RowSource& rows;
  source::QueryOptions query_options{};
};

// Where the contacts go.
struct Destination {
  emarsys::ContactApi& api;
  // With insert_new_contacts, the contacts a run creates join this list.
  std::optional<std::int64_t> new_contacts_list_id{};
};

// What a run reads from and writes to; owned by the caller, must outlive the
// run (or the check).
struct RunResources {
  boost::asio::thread_pool& pool;  // blocking work: source, store, spool
  store::StateStore& store;
  ModelSource model;
  Destination destination;
  std::string spool_dir;  // the run's spool file goes here
};

}  // namespace emsync::sync
