// Step 4 of a run: send one prepared batch to Emarsys and sort its contacts
// into outcomes. Runs on the event loop. Internal to the sync module.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sync/batch_preparer.hpp"

namespace emsync::sync {

struct BatchOutcome {
  std::vector<store::ContactUpdate> acknowledged;  // to store
  std::vector<store::Rejection> rejections;
  std::vector<store::ContactRejection> contact_rejections;  // for the rejection streaks
  std::int64_t updated = 0;
  std::int64_t inserted = 0;
  std::int64_t not_found = 0;
  std::int64_t rejected = 0;
  std::int64_t failed = 0;               // not delivered for a transient reason
  std::int64_t splits = 0;               // requests Emarsys refused whole, sent again in halves
  std::optional<Error> failure;          // why contacts failed (last error)
  bool abort_run = false;                // a failure no later batch can avoid (auth)
};

// `insert` creates the contacts Emarsys does not know, adding them to
// `new_contacts_list_id` when set; otherwise they count as not_found.
// A request Emarsys refuses as a whole (HTTP 4xx, not auth or rate limiting)
// is split in halves until the contacts at fault are alone; they are
// rejected with the error and every other contact goes through.
// Its requests are counted in `stats` (optional).
boost::asio::awaitable<BatchOutcome> send_batch(emarsys::Client& client, PreparedBatch& batch,
                                                std::int64_t run_id, bool insert,
                                                std::optional<std::int64_t> new_contacts_list_id,
                                                emarsys::RequestStats* stats = nullptr);

}  // namespace emsync::sync
