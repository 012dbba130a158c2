// A run of a list activation (config::Mode::list): the model's emails
// mirrored into an Emarsys contact list. execute_run() (run.hpp) hands list
// activations here; the service calls empty_list() for `delete --empty-list`.
//
//  1. The list (list_changes.hpp: find_list): given by id, it must exist; given by
//     name, the id found or created by an earlier run (StateStore::
//     load_list_id), else the list of that name, else a new list, created
//     once and remembered.
//  2. The model is read as the contacts mode reads it (model_reader.hpp:
//     emails normalised, rows without a valid email and rows of a repeated
//     email rejected), diffed against the members emsync added
//     (StateStore::load_list_members, as ContactIndex digests): a member the
//     model has is unchanged and not spooled; an email that is no member is
//     spooled, to be added; a member the model no longer has leaves
//     (ContactIndex::departed). `run --full` spools the members too, so they
//     are added again (a list emptied by hand is refilled).
//  3. Before anything is sent: the safety valve (safety_valve.hpp: the
//     model's volume against the managed members, as in the contacts mode,
//     and removal_stop) and max_rejected_percent (data_quality.hpp).
//     `run --force` skips them.
//  4. Adds, in requests of at most emarsys::k_max_list_change_emails: after
//     each request, the emails Emarsys took become members in one commit
//     with the rows it did not settle and the run's counts, before the next
//     request is sent; so a crash resends at most one request (an add or
//     delete sent twice changes nothing). A 2008 (Emarsys has no such
//     contact) is not_found: list activations never create contacts; it is
//     no member, and is tried again next run.
//  5. Removals of the members that left, the same way (their emails read
//     back from the state DB, on the pool while step 4 sends). A 2008 means
//     the contact is gone from Emarsys, and so from the list: it is no
//     member any more.
//
// Parking, as in the contacts mode: an email Emarsys did not add (2008, or
// refused) extends its rejection streak (StateStore::record_rejections,
// under the one contact hash every member has); from the config's
// park_after_rejections on, it is no longer sent but counted `rejected` with
// code "parked" (which max_rejected_percent does not count), until
// `emsyncctl retry` clears the streaks. A streak is forgotten once its email
// joins the list, or when a run that added everything it read no longer
// finds the email in the model (one that comes back is tried again).
//
// A request that fails as a whole (once the Client's retries are spent)
// stops the run: what was not settled is `failed` and sent again next run.
// Counts: rows_read == unchanged + added + not_found + rejected + failed;
// `removed` counts members removed (not rows).
//
// Known limit: Emarsys answers an add with how many contacts joined the
// list, not which; an email of the model that was already in the list (put
// there by hand) becomes a managed member, removed when it leaves the model.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "sync/run.hpp"

namespace emsync::sync {

boost::asio::awaitable<RunOutcome> execute_list_run(const RunRequest& request,
                                                    const RunEnvironment& env);

// What execute_list_run() would do now (run.hpp: preview_run hands list
// activations here): the model read and diffed against the members, the
// spool classified (added, duplicate, parked) and step 3's rules judged;
// RunPreview::list has the list's counts and the first `sample_limit`
// emails to add and to remove. Sends nothing (a list given by name that
// Emarsys does not have yet is not created: list_id 0) and stores nothing.
boost::asio::awaitable<Result<RunPreview>> preview_list_run(const RunRequest& request,
                                                            const RunEnvironment& env,
                                                            int sample_limit);

// `emsyncctl delete NAME --empty-list`: removes every member emsync added
// from the activation's list, as step 5 removes those that left (a list
// given by name is looked up, never created: none, nothing to remove),
// committing after each request; returns how many were removed. A member
// Emarsys refused to remove is the error. request.run_id is 0: no run is
// recorded. Errc::invalid_input for an activation of the contacts mode.
boost::asio::awaitable<Result<std::int64_t>> empty_list(const RunRequest& request,
                                                        const RunEnvironment& env);

}  // namespace emsync::sync
