// ContactApi: the Emarsys calls a contact or list sync makes, and nothing
// else, as an interface. The sync module depends on it alone; emarsys::Client
// (client.hpp) implements it over HTTP, and the sync unit tests answer it in
// process (tests/unit/sync/run_fixture.hpp).
//
// Contact lists are changed by email: emsync adds and removes members of a
// list it mirrors a segment into, and never creates contacts that way. A
// list that does not exist (replyCode 3006, or HTTP 404) fails the call:
// Errc::rejected with http_status and reply_code set.
//
// Contacts are the JSON texts of contact objects keyed by field id, each
// holding "3" (the email), at most 1000 and 8 MB in one call; they must stay
// valid until the call completes (a co_await in the same expression does it).
//
// Errors: a Result error fails the call as a whole (no contact is known to
// be taken, though Emarsys may have applied a request whose reply was lost):
// Errc::rejected when Emarsys refused the request (http_status and
// reply_code set: e.g. one malformed contact makes a whole batch a 400),
// Errc::auth_failed, Errc::rate_limited / transient / timeout once retries
// are spent, Errc::protocol_error for an unusable reply, Errc::cancelled
// when the daemon stops. Per-contact errors come back in ContactsResult
// (ListChangeResult for list changes).
//
// Threading: calls are made on one executor (the event loop) and may be
// made concurrently; up to concurrent_requests() of them are on the wire at
// once, the others queue. Every call counts its exchanges in `stats` when given.
//
// Example (sync/batch_sender.cpp):
//
//   auto result = co_await api.update_contacts(payloads, stats);
//   if (!result) { ... split the batch or fail it ... }
//   for (const auto& error : result->errors) { ... "2008": not known ... }
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "emarsys/api_types.hpp"

namespace emsync::emarsys {

template <class T>
using Task = boost::asio::awaitable<Result<T>>;

class ContactApi {
 public:
  virtual ~ContactApi() = default;

  // GET /field
  virtual Task<std::vector<Field>> list_fields(RequestStats* stats) = 0;
  // POST /field {"name","application_type"}; returns the new field id.
  virtual Task<std::int64_t> create_field(const std::string& name,
                                          const std::string& application_type,
                                          RequestStats* stats) = 0;
  // The choices of a field: GET /field/{id}/choice for a single-choice
  // field, GET /field/choices?fields={id} for a multi-choice one.
  virtual Task<std::vector<Choice>> list_choices(std::int64_t field_id, ChoiceKind kind,
                                                 RequestStats* stats) = 0;
  // GET /contactlist: every list of the account, to find one by name.
  virtual Task<std::vector<ContactList>> list_contact_lists(RequestStats* stats) = 0;
  // POST /contactlist {"key_id":"3","name":name}: creates an empty list and
  // returns its id. A name already taken is Errc::rejected with reply_code 3005.
  virtual Task<std::int64_t> create_contact_list(const std::string& name,
                                                 RequestStats* stats) = 0;
  // POST /contactlist/{id}/add with key_id 3 and external_ids = emails (at most
  // k_max_list_change_emails). Unknown emails come back as 2008 errors; an email
  // already in the list is not an error (changed does not count it).
  virtual Task<ListChangeResult> add_to_contact_list(std::int64_t list_id,
                                                     const std::vector<std::string_view>& emails,
                                                     RequestStats* stats) = 0;
  // POST /contactlist/{id}/delete, same body. An email not in the list is not an
  // error; an unknown contact is a 2008 error.
  virtual Task<ListChangeResult> remove_from_contact_list(
      std::int64_t list_id, const std::vector<std::string_view>& emails, RequestStats* stats) = 0;
  // PUT /contact with key_id 3, create_if_not_exists=0: unknown contacts
  // come back as 2008 errors.
  virtual Task<ContactsResult> update_contacts(const std::vector<std::string_view>& contacts,
                                               RequestStats* stats) = 0;
  // POST /contact with key_id 3 (and contact_list_id when given, which adds
  // exactly the created contacts to that list). Existing ones give 2009.
  virtual Task<ContactsResult> create_contacts(const std::vector<std::string_view>& contacts,
                                               std::optional<std::int64_t> contact_list_id,
                                               RequestStats* stats) = 0;
  // POST /contact/getdata with keyId 3: the values of `field_ids` and the
  // email (field 3) of the contacts Emarsys has among `emails` (at most
  // 1000). Reads only.
  virtual Task<ContactDataResult> get_contact_data(const std::vector<std::string>& emails,
                                                   const std::vector<std::int64_t>& field_ids,
                                                   RequestStats* stats) = 0;

  // How many calls are on the wire at once (at least 1): a run keeps that
  // many batches in flight.
  virtual int concurrent_requests() const = 0;
};

}  // namespace emsync::emarsys
