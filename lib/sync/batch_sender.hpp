// Step 4 of a run: send one prepared batch to Emarsys and sort its contacts
// into outcomes. Runs on the event loop. Internal to the sync module.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emarsys/contact_api.hpp"
#include "sync/batch_preparer.hpp"

namespace emsync::sync {

struct BatchOutcome {
  std::vector<store::ContactUpdate> acknowledged;  // to store
  // The contacts rejected, failed and not found, each with its kind.
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

// Which request goes first for contacts emsync never sent (PendingContact::
// known is false). Either Emarsys does not know them (a new account, new
// people): a create alone does it, where an update first would come back
// with 2008 and cost a second request. Or it does (an account that held them
// before emsync): an update alone does it, where a create first would come
// back with 2009. The route learns from each such contact's answer in the
// run and follows the majority; the first batch is created first. Contacts
// emsync sent before are always updated first. Pure.
class NewContactRoute {
 public:
  bool create_first() const;
  void learn(bool emarsys_knew_it);

 private:
  std::int64_t m_created = 0;   // contacts Emarsys did not know
  std::int64_t m_existing = 0;  // contacts it knew
};

struct SendOptions {
  std::int64_t run_id = 0;
  // Create the contacts Emarsys does not know, adding them to
  // `new_contacts_list_id` when set; otherwise they count as not_found.
  bool insert = false;
  std::optional<std::int64_t> new_contacts_list_id;
  emarsys::RequestStats* stats = nullptr;  // counts the requests (optional)
};

// A request Emarsys refuses as a whole (HTTP 4xx, not auth or rate limiting)
// is split in halves until the contacts at fault are alone; they are
// rejected with the error and every other contact goes through.
boost::asio::awaitable<BatchOutcome> send_batch(emarsys::ContactApi& api, PreparedBatch& batch,
                                                const SendOptions& options, NewContactRoute& route);

}  // namespace emsync::sync
