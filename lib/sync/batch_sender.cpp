#include "sync/batch_sender.hpp"

#include <map>
#include <utility>

#include "core/quote.hpp"

namespace emsync::sync {

namespace {

constexpr const char* k_not_found = "2008";
constexpr const char* k_already_exists = "2009";

using ErrorsByKey = std::map<std::string, emarsys::ContactError>;

// By key, with code and message as rejections and rejection streaks keep
// them: quoted (quote_value), since a reply's text may be of any length.
ErrorsByKey index_errors(const std::vector<emarsys::ContactError>& errors) {
  ErrorsByKey out;
  for (const auto& error : errors) {
    out.emplace(error.key, emarsys::ContactError{error.key, quote_value(error.code),
                                                 quote_value(error.message)});
  }
  return out;
}

using Contacts = std::vector<const PendingContact*>;
using Payload = std::string PendingContact::*;  // update_json or full_json

std::vector<std::string_view> payloads(const Contacts& contacts, Payload payload) {
  std::vector<std::string_view> out;
  out.reserve(contacts.size());
  for (const auto* contact : contacts) {
    out.emplace_back(contact->*payload);
  }
  return out;
}

// Full payloads are larger than the changes that were batched: re-cut them
// within the 8 MB bound.
std::vector<Contacts> chunk_full_payloads(const Contacts& contacts) {
  std::vector<Contacts> chunks(1);
  BatchBounds bounds;
  for (const auto* contact : contacts) {
    if (!bounds.fits(contact->full_json)) {
      bounds = BatchBounds();
      chunks.emplace_back();
    }
    bounds.add(contact->full_json);
    chunks.back().push_back(contact);
  }
  return chunks;
}

// Reply codes that refuse a request for what every contact shares (the key
// field, the list, the path), not for one contact's data: splitting the batch
// would only repeat the error once per contact (emarsys-api.md: 1 invalid
// action, 1009 invalid method, 2004 invalid key field id, 2020/3004/3006
// invalid or missing contact list).
bool refused_for_every_contact(const Error& error) {
  switch (error.reply_code) {
    case 1:
    case 1009:
    case 2004:
    case 2020:
    case 3004:
    case 3006:
      return true;
    default:
      return false;
  }
}

// A failed request's code as a row keeps it: Emarsys' reply code, else the
// HTTP status, else what failed (e.g. "transient" for a lost connection).
std::string failure_code(const Error& error) {
  if (error.reply_code != 0) {
    return std::to_string(error.reply_code);
  }
  return error.http_status != 0 ? "http_" + std::to_string(error.http_status)
                                : to_string(error.code);
}

// The per-contact error a whole-request rejection stands for once the
// request held a single contact.
emarsys::ContactError contact_error(const PendingContact& contact, const Error& error) {
  return {contact.email, failure_code(error), error.message};
}

constexpr const char* k_not_found_message =
    "Emarsys does not know this contact and the activation's insert_new_contacts is off, so it "
    "was not created: turn insert_new_contacts on, or create it in Emarsys";

class Sender {
 public:
  Sender(emarsys::ContactApi& api, std::int64_t run_id, BatchOutcome& outcome,
         NewContactRoute& route, emarsys::RequestStats* stats)
      : m_api(api), m_run_id(run_id), m_out(outcome), m_route(route), m_stats(stats) {}

  // PUT `payload` of the contacts. With `unknown`, the contacts Emarsys does
  // not know (2008) go there; without, they are rejected like other errors.
  boost::asio::awaitable<void> update(const Contacts& contacts, Payload payload,
                                      Contacts* unknown) {
    auto result = co_await m_api.update_contacts(payloads(contacts, payload), m_stats);
    if (!result) {
      if (auto halves = split_or_settle(contacts, result.error())) {
        co_await update(halves->first, payload, unknown);
        co_await update(halves->second, payload, unknown);
      }
      co_return;
    }
    const ErrorsByKey errors = index_errors(result->errors);
    for (const auto* contact : contacts) {
      auto it = errors.find(contact->email);
      if (it == errors.end()) {
        learn(*contact, true);
        acknowledge(*contact, m_out.updated);
      } else if (unknown && it->second.code == k_not_found) {
        learn(*contact, false);
        unknown->push_back(contact);
      } else {
        reject(*contact, it->second);
      }
    }
  }

  // POST the full payloads, adding the created contacts to `list_id`.
  boost::asio::awaitable<void> create(const Contacts& contacts,
                                      std::optional<std::int64_t> list_id) {
    auto result = co_await m_api.create_contacts(payloads(contacts, &PendingContact::full_json),
                                                 list_id, m_stats);
    if (!result) {
      if (auto halves = split_or_settle(contacts, result.error())) {
        co_await create(halves->first, list_id);
        co_await create(halves->second, list_id);
      }
      co_return;
    }
    const ErrorsByKey errors = index_errors(result->errors);
    Contacts existing;
    for (const auto* contact : contacts) {
      auto it = errors.find(contact->email);
      if (it == errors.end()) {
        learn(*contact, false);
        acknowledge(*contact, m_out.inserted);
      } else if (it->second.code == k_already_exists) {
        learn(*contact, true);
        existing.push_back(contact);
      } else {
        reject(*contact, it->second);
      }
    }
    if (!existing.empty()) {  // created meanwhile by someone else (2009): update in full
      co_await update(existing, &PendingContact::full_json, nullptr);
    }
  }

 private:
  // What Emarsys said of a contact emsync never sent: it knew it or not.
  void learn(const PendingContact& contact, bool emarsys_knew_it) {
    if (!contact.known) {
      m_route.learn(emarsys_knew_it);
    }
  }

  // A request failed as a whole. When Emarsys refused its content (a 4xx
  // other than auth and rate limiting: e.g. one malformed contact makes the
  // whole batch a 400), returns its two halves to send separately, so the
  // contacts at fault end up alone and are rejected with the error while
  // the others go through. Any other failure fails every contact (they are
  // sent again next run); one that no contact can avoid also ends the run.
  std::optional<std::pair<Contacts, Contacts>> split_or_settle(const Contacts& contacts,
                                                               const Error& error) {
    if (error.code != Errc::rejected || refused_for_every_contact(error)) {
      fail(contacts, error);
      m_out.abort_run = m_out.abort_run || error.code == Errc::rejected;
      return std::nullopt;
    }
    if (contacts.size() == 1) {
      reject(*contacts.front(), contact_error(*contacts.front(), error));
      return std::nullopt;
    }
    ++m_out.splits;
    const auto middle = contacts.begin() + static_cast<std::ptrdiff_t>(contacts.size() / 2);
    return std::pair{Contacts(contacts.begin(), middle), Contacts(middle, contacts.end())};
  }

  // Each contact is listed with the failure (`emsyncctl errors`).
  void fail(const Contacts& contacts, const Error& error) {
    m_out.failed += static_cast<std::int64_t>(contacts.size());
    const std::string code = failure_code(error);
    for (const auto* contact : contacts) {
      m_out.rejections.push_back(
          {m_run_id, contact->email, code, error.message, store::RowKind::failed});
    }
    m_out.failure = error;
    m_out.abort_run = m_out.abort_run || error.code == Errc::auth_failed;
  }

  void reject(const PendingContact& contact, const emarsys::ContactError& error) {
    ++m_out.rejected;
    m_out.rejections.push_back({m_run_id, contact.email, error.code, error.message});
    m_out.contact_rejections.push_back({contact.email, error.code, contact.new_state.contact_hash});
  }

  void acknowledge(const PendingContact& contact, std::int64_t& counter) {
    ++counter;
    m_out.acknowledged.push_back({contact.email, contact.new_state});
    m_out.acknowledged.back().state.acknowledged_by_run = m_run_id;
  }

  emarsys::ContactApi& m_api;
  std::int64_t m_run_id;
  BatchOutcome& m_out;
  NewContactRoute& m_route;
  emarsys::RequestStats* m_stats;
};

}  // namespace

bool NewContactRoute::create_first() const { return m_created >= m_existing; }

void NewContactRoute::learn(bool emarsys_knew_it) { ++(emarsys_knew_it ? m_existing : m_created); }

boost::asio::awaitable<BatchOutcome> send_batch(emarsys::ContactApi& api, PreparedBatch& batch,
                                                const SendOptions& options,
                                                NewContactRoute& route) {
  BatchOutcome outcome;
  Sender sender(api, options.run_id, outcome, route, options.stats);
  const bool create_first = options.insert && route.create_first();
  Contacts to_update;
  Contacts to_create;
  for (const auto& contact : batch.contacts) {
    (create_first && !contact.known ? to_create : to_update).push_back(&contact);
  }
  Contacts unknown;
  if (!to_update.empty()) {
    co_await sender.update(to_update, &PendingContact::update_json, &unknown);
  }
  if (!options.insert) {
    outcome.not_found += static_cast<std::int64_t>(unknown.size());
    for (const auto* contact : unknown) {
      outcome.rejections.push_back({options.run_id, contact->email, k_not_found,
                                    k_not_found_message, store::RowKind::not_found});
    }
    co_return outcome;
  }
  to_create.insert(to_create.end(), unknown.begin(), unknown.end());
  if (to_create.empty()) {
    co_return outcome;
  }
  for (const auto& chunk : chunk_full_payloads(to_create)) {
    co_await sender.create(chunk, options.new_contacts_list_id);
  }
  co_return outcome;
}

}  // namespace emsync::sync
