#include "sync/batch_sender.hpp"

#include <map>

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

std::string json_array(const Contacts& contacts) {
  std::string out = "[";
  for (const auto* contact : contacts) {
    out += (out.size() > 1 ? "," : "") + contact->full_json;
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

class Sender {
 public:
  Sender(emarsys::Client& client, std::int64_t run_id, BatchOutcome& outcome)
      : m_client(client), m_run_id(run_id), m_out(outcome) {}

  void fail(std::size_t count, const Error& error) {
    m_out.failed += static_cast<std::int64_t>(count);
    m_out.failure = error;
    m_out.abort_run = m_out.abort_run || error.code == Errc::auth_failed;
  }

  void reject(const PendingContact& contact, const emarsys::ContactError& error) {
    ++m_out.rejected;
    m_out.rejections.push_back({m_run_id, contact.email, error.code, error.message});
  }

  void acknowledge(const PendingContact& contact, std::int64_t& counter) {
    ++counter;
    m_out.acknowledged.push_back({contact.email, contact.new_state});
  }

  // PUT the full payload of contacts that turned out to exist (2009 on create).
  boost::asio::awaitable<void> update_in_full(const Contacts& contacts) {
    auto result = co_await m_client.update_contacts(json_array(contacts));
    if (!result) {
      fail(contacts.size(), result.error());
      co_return;
    }
    const ErrorsByKey errors = index_errors(result->errors);
    for (const auto* contact : contacts) {
      auto it = errors.find(contact->email);
      if (it == errors.end()) {
        acknowledge(*contact, m_out.updated);
      } else {
        reject(*contact, it->second);
      }
    }
  }

  boost::asio::awaitable<void> create(const Contacts& contacts,
                                      std::optional<std::int64_t> list_id) {
    auto result = co_await m_client.create_contacts(json_array(contacts), list_id);
    if (!result) {
      fail(contacts.size(), result.error());
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
    if (!existing.empty()) {
      co_await update_in_full(existing);
    }
  }

 private:
  emarsys::Client& m_client;
  std::int64_t m_run_id;
  BatchOutcome& m_out;
};

}  // namespace

boost::asio::awaitable<BatchOutcome> send_batch(emarsys::Client& client, PreparedBatch& batch,
                                                std::int64_t run_id, bool insert,
                                                std::optional<std::int64_t> new_contacts_list_id) {
  BatchOutcome outcome;
  Sender sender(client, run_id, outcome);
  auto result = co_await client.update_contacts(batch.update_json);
  if (!result) {
    sender.fail(batch.contacts.size(), result.error());
    co_return outcome;
  }
  const ErrorsByKey errors = index_errors(result->errors);
  Contacts unknown;
  for (const auto& contact : batch.contacts) {
    auto it = errors.find(contact.email);
    if (it == errors.end()) {
      sender.acknowledge(contact, outcome.updated);
    } else if (it->second.code == k_not_found) {
      unknown.push_back(&contact);
    } else {
      sender.reject(contact, it->second);
    }
  }
  if (!unknown.empty()) {
    if (insert) {
      for (const auto& chunk : chunk_full_payloads(unknown)) {
        co_await sender.create(chunk, new_contacts_list_id);
      }
    } else {
      outcome.not_found += static_cast<std::int64_t>(unknown.size());
    }
  }
  co_return outcome;
}

}  // namespace emsync::sync
