#include "sync/batch_sender.hpp"

#include <map>
#include <utility>

namespace emsync::sync {

namespace {

constexpr const char* k_not_found = "2008";
constexpr const char* k_already_exists = "2009";

using ErrorsByKey = std::map<std::string, emarsys::ContactError>;

ErrorsByKey index_errors(const std::vector<emarsys::ContactError>& errors) {
  ErrorsByKey out;
  for (const auto& error : errors) {
    out.emplace(error.key, error);
  }
  return out;
}

using Contacts = std::vector<const PendingContact*>;
using Payload = std::string PendingContact::*;  // update_json or full_json

std::string json_array(const Contacts& contacts, Payload payload) {
  std::string out = "[";
  for (const auto* contact : contacts) {
    out += (out.size() > 1 ? "," : "") + contact->*payload;
  }
  return out + "]";
}

// Full payloads are larger than the changes that were batched: re-cut them
// within the 8 MB bound.
std::vector<Contacts> chunk_full_payloads(const Contacts& contacts) {
  std::vector<Contacts> chunks(1);
  BatchBuilder builder;
  for (const auto* contact : contacts) {
    if (!builder.fits(contact->full_json)) {
      std::vector<std::string> keys;
      builder.take_json(keys);
      chunks.emplace_back();
    }
    builder.add(contact->email, contact->full_json);
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

// The per-contact error a whole-request rejection stands for once the
// request held a single contact.
emarsys::ContactError contact_error(const PendingContact& contact, const Error& error) {
  return {contact.email,
          error.reply_code != 0 ? std::to_string(error.reply_code)
                                : "http_" + std::to_string(error.http_status),
          error.message};
}

class Sender {
 public:
  Sender(emarsys::Client& client, std::int64_t run_id, BatchOutcome& outcome,
         emarsys::RequestStats* stats)
      : m_client(client), m_run_id(run_id), m_out(outcome), m_stats(stats) {}

  // PUT `payload` of the contacts. With `unknown`, the contacts Emarsys does
  // not know (2008) go there; without, they are rejected like other errors.
  boost::asio::awaitable<void> update(const Contacts& contacts, Payload payload,
                                      Contacts* unknown) {
    auto result = co_await m_client.update_contacts(json_array(contacts, payload), m_stats);
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
        acknowledge(*contact, m_out.updated);
      } else if (unknown && it->second.code == k_not_found) {
        unknown->push_back(contact);
      } else {
        reject(*contact, it->second);
      }
    }
  }

  // POST the full payloads, adding the created contacts to `list_id`.
  boost::asio::awaitable<void> create(const Contacts& contacts,
                                      std::optional<std::int64_t> list_id) {
    auto result = co_await m_client.create_contacts(
        json_array(contacts, &PendingContact::full_json), list_id, m_stats);
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
        acknowledge(*contact, m_out.inserted);
      } else if (it->second.code == k_already_exists) {
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
  // A request failed as a whole. When Emarsys refused its content (a 4xx
  // other than auth and rate limiting: e.g. one malformed contact makes the
  // whole batch a 400), returns its two halves to send separately, so the
  // contacts at fault end up alone and are rejected with the error while
  // the others go through. Any other failure fails every contact (they are
  // sent again next run); one that no contact can avoid also ends the run.
  std::optional<std::pair<Contacts, Contacts>> split_or_settle(const Contacts& contacts,
                                                               const Error& error) {
    if (error.code != Errc::rejected || refused_for_every_contact(error)) {
      fail(contacts.size(), error);
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

  void fail(std::size_t count, const Error& error) {
    m_out.failed += static_cast<std::int64_t>(count);
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
  }

  emarsys::Client& m_client;
  std::int64_t m_run_id;
  BatchOutcome& m_out;
  emarsys::RequestStats* m_stats;
};

}  // namespace

boost::asio::awaitable<BatchOutcome> send_batch(emarsys::Client& client, PreparedBatch& batch,
                                                std::int64_t run_id, bool insert,
                                                std::optional<std::int64_t> new_contacts_list_id,
                                                emarsys::RequestStats* stats) {
  BatchOutcome outcome;
  Sender sender(client, run_id, outcome, stats);
  Contacts contacts;
  for (const auto& contact : batch.contacts) {
    contacts.push_back(&contact);
  }
  Contacts unknown;
  co_await sender.update(contacts, &PendingContact::update_json, &unknown);
  if (unknown.empty()) {
    co_return outcome;
  }
  if (!insert) {
    outcome.not_found += static_cast<std::int64_t>(unknown.size());
    co_return outcome;
  }
  for (const auto& chunk : chunk_full_payloads(unknown)) {
    co_await sender.create(chunk, new_contacts_list_id);
  }
  co_return outcome;
}

}  // namespace emsync::sync
