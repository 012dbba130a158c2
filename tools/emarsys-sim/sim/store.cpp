// Contact and list storage (see store.hpp).
#include "sim/store.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/json_text.hpp"

namespace emsync::sim {
namespace {

constexpr ContactId k_first_contact_id = 100001;

std::size_t slot(ContactId id) { return static_cast<std::size_t>(id - k_first_contact_id); }
constexpr std::int64_t k_first_list_id = 900001;
const std::string k_email_field = "3";

// A stable, uid-looking string per id (Emarsys uids are opaque strings).
std::string make_uid(ContactId id) {
  char buffer[16];
  std::snprintf(
      buffer, sizeof buffer, "s%08x",
      static_cast<unsigned>((static_cast<std::uint64_t>(id) * 2654435761u) & 0xffffffffu));
  return buffer;
}

void apply_fields(Json& target, Json&& fields) {
  if (target.empty() && fields.is_object()) {  // a new contact: take the values as they are
    target = std::move(fields);
    for (auto it = target.begin(); it != target.end();) {
      it = clears_field(*it) ? target.erase(it) : std::next(it);
    }
    return;
  }
  for (auto& [key, value] : fields.items()) {
    if (clears_field(value)) {
      target.erase(key);
    } else {
      target[key] = std::move(value);
    }
  }
}

// As fields.dump(), with strings (most values, and the long ones) written
// by hand: dump() was a fifth of the simulator's CPU in a first run.
void store_fields(Contact& contact, const Json& fields) {
  const auto email = fields.find(k_email_field);
  contact.email = email != fields.end() && email->is_string() ? email->get<std::string>() : "";
  std::string& text = contact.fields_text;
  text.clear();
  text += '{';
  for (const auto& [key, value] : fields.items()) {
    if (text.size() > 1) {
      text += ',';
    }
    append_json_string(text, key);
    text += ':';
    if (value.is_string()) {
      append_json_string(text, value.get_ref<const std::string&>());
    } else {
      text += value.dump();
    }
  }
  text += '}';
}

}  // namespace

Json Contact::fields() const {
  return fields_text.empty() ? Json::object() : Json::parse(fields_text);
}

ContactStore::ContactStore(bool email_case_sensitive) : m_case_sensitive(email_case_sensitive) {}

std::string ContactStore::email_key(const std::string& email) const {
  return m_case_sensitive ? email : lower_ascii(email);
}

std::uint64_t ContactStore::key_hash(const std::string& email) const {
  return std::hash<std::string>{}(email_key(email));
}

std::vector<ContactId> ContactStore::find(const std::string& email) const {
  std::vector<ContactId> out;
  const std::string key = email_key(email);
  const auto head = m_by_email.find(std::hash<std::string>{}(key));
  for (ContactId id = head == m_by_email.end() ? 0 : head->second; id != 0;
       id = m_next_same_hash[slot(id)]) {
    if (email_key(get(id).email) == key) {  // not just the same hash
      out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Contact& ContactStore::get(ContactId id) const {
  return m_contacts.at(slot(id));
}

ContactId ContactStore::create(Json fields) {
  Contact& contact = m_contacts.emplace_back();
  m_next_same_hash.push_back(0);
  contact.id = k_first_contact_id + static_cast<ContactId>(m_contacts.size() - 1);
  contact.uid = make_uid(contact.id);
  Json values = Json::object();
  apply_fields(values, std::move(fields));
  store_fields(contact, values);
  index(contact, true);
  return contact.id;
}

void ContactStore::update(ContactId id, Json fields) {
  Contact& contact = m_contacts.at(slot(id));
  index(contact, false);
  Json values = contact.fields();
  apply_fields(values, std::move(fields));
  store_fields(contact, values);
  index(contact, true);
}

void ContactStore::clear() {
  m_contacts.clear();
  m_by_email.clear();
  m_next_same_hash.clear();
}

void ContactStore::index(const Contact& contact, bool add) {
  if (contact.email.empty()) {
    return;
  }
  ContactId& next = m_next_same_hash[slot(contact.id)];
  const std::uint64_t hash = key_hash(contact.email);
  if (add) {
    const auto [head, inserted] = m_by_email.try_emplace(hash, contact.id);
    next = inserted ? 0 : std::exchange(head->second, contact.id);
    return;
  }
  const auto head = m_by_email.find(hash);
  if (head == m_by_email.end()) {
    return;
  }
  if (head->second == contact.id) {
    if (next == 0) {
      m_by_email.erase(head);
    } else {
      head->second = next;
    }
    return;
  }
  for (ContactId before = head->second; before != 0; before = m_next_same_hash[slot(before)]) {
    if (m_next_same_hash[slot(before)] == contact.id) {
      m_next_same_hash[slot(before)] = next;
      return;
    }
  }
}

ListStore::ListStore() : m_next_id(k_first_list_id) {}

ContactList* ListStore::find(std::int64_t id) {
  const auto it = m_lists.find(id);
  return it == m_lists.end() ? nullptr : &it->second;
}

bool ListStore::has_name(const std::string& name) const {
  return std::any_of(m_lists.begin(), m_lists.end(),
                     [&name](const auto& entry) { return entry.second.name == name; });
}

ContactList& ListStore::create(const std::string& name, Clock::time_point now) {
  const std::int64_t id = m_next_id++;
  ContactList& list = m_lists[id];
  list.id = id;
  list.name = name;
  list.created = format_datetime(now);
  return list;
}

void ListStore::clear() {
  m_lists.clear();
  m_next_id = k_first_list_id;
}

bool add_member(ContactList& list, ContactId contact) {
  return list.members.insert(contact).second;
}

bool remove_member(ContactList& list, ContactId contact) { return list.members.erase(contact) > 0; }

State::State(const Config& cfg)
    : config(cfg),
      contacts(cfg.email_case_sensitive),
      auth(cfg),
      limiter(cfg.rate_limit, cfg.rate_window),
      faults(cfg.faults, cfg.fault_seed, cfg.email_case_sensitive) {}

void State::reset() {
  fields.reset();
  contacts.clear();
  lists.clear();
  auth.reset();
  limiter.reset();
  faults.reset();
  races.clear();
  requests = Json::array();
  next_request_seq = 1;
  rate_limited = 0;
}

}  // namespace emsync::sim
