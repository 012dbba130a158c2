// The simulated account's data: contacts (indexed by email key), contact
// lists, and everything else a test may inspect or reset (request log,
// injected faults, auth counters, rate-limit windows).
//
// Not thread-safe: the Simulator owns one State and guards it with a mutex.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/auth.hpp"
#include "sim/config.hpp"
#include "sim/faults.hpp"
#include "sim/field_catalog.hpp"
#include "sim/field_values.hpp"
#include "sim/rate_limiter.hpp"

namespace emsync::sim {

using ContactId = std::int64_t;

// One contact, stored compactly: a benchmark's million contacts take about
// 0.5 GB this way, three times less than as JSON values (and the simulator's
// time went mostly to faulting that memory in).
struct Contact {
  ContactId id = 0;
  std::string uid;
  std::string email;        // field 3 when it is a string, else ""
  std::string fields_text;  // JSON object text: "<field id>" -> value as sent; cleared fields absent

  Json fields() const;
};

// Contacts by id (ascending, from 100001), with an index on the email
// (field 3). Email is not unique, as in Emarsys: several contacts may share
// one (seeded through /sim).
class ContactStore {
 public:
  explicit ContactStore(bool email_case_sensitive);

  // The form an email takes as an index key (lower-cased unless case-sensitive).
  std::string email_key(const std::string& email) const;

  std::vector<ContactId> find(const std::string& email) const;
  const Contact& get(ContactId id) const;  // REQUIRES: id exists
  const std::deque<Contact>& all() const { return m_contacts; }

  // `fields` maps field ids to values; "" and null clear a field.
  ContactId create(Json fields);
  void update(ContactId id, Json fields);
  void clear();

 private:
  std::uint64_t key_hash(const std::string& email) const;
  void index(const Contact& contact, bool add);

  bool m_case_sensitive;
  std::deque<Contact> m_contacts;  // m_contacts[slot(id)]
  // The email index: the latest contact per email key hash, then a chain
  // through m_next_same_hash[slot(id)] (0 ends it) to the others with that
  // hash. A flat map: a node per contact made lookups a tenth of a first run.
  boost::unordered_flat_map<std::uint64_t, ContactId> m_by_email;
  std::deque<ContactId> m_next_same_hash;
};

struct ContactList {
  std::int64_t id = 0;
  std::string name;
  std::string created;          // "YYYY-MM-DD HH:MM:SS" UTC
  std::set<ContactId> members;  // by id: a member leaves in O(log n), a page is read in order
};

class ListStore {
 public:
  ListStore();

  ContactList* find(std::int64_t id);
  bool has_name(const std::string& name) const;
  const std::map<std::int64_t, ContactList>& all() const { return m_lists; }

  // REQUIRES: !has_name(name).
  ContactList& create(const std::string& name, Clock::time_point now);
  void clear();

 private:
  std::int64_t m_next_id;
  std::map<std::int64_t, ContactList> m_lists;
};

// Adds `contact` to `list`; false when it was a member already.
bool add_member(ContactList& list, ContactId contact);
// Removes `contact` from `list`; false when it was not a member.
bool remove_member(ContactList& list, ContactId contact);

struct State {
  // `config` must outlive this.
  explicit State(const Config& config);

  // Back to an empty account; the configuration and issued tokens stay.
  void reset();

  const Config& config;
  FieldCatalog fields;
  ContactStore contacts;
  ListStore lists;
  Authenticator auth;
  RateLimiter limiter;
  FaultInjector faults;  // also holds the /sim/reject errors (contact_errors)
  // Email keys whose next create loses a race: another writer creates the
  // contact first and the create answers 2009 (emarsys-api.md §9).
  std::set<std::string> races;
  Json requests = Json::array();  // the /api request log
  std::int64_t next_request_seq = 1;
  std::int64_t rate_limited = 0;  // 429 replies so far
};

}  // namespace emsync::sim
