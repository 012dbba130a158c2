#include "sync/list_changes.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

namespace emsync::sync {

namespace {

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::optional<std::int64_t> find_list(const std::vector<emarsys::ContactList>& lists,
                                      const config::ListRef& ref) {
  const auto found = std::find_if(lists.begin(), lists.end(), [&](const auto& list) {
    const auto* id = std::get_if<std::int64_t>(&ref);
    return id ? list.id == *id : list.name == std::get<std::string>(ref);
  });
  return found == lists.end() ? std::nullopt : std::optional(found->id);
}

ListReply sort_list_reply(std::vector<std::string> emails,
                          const std::vector<emarsys::ContactError>& errors) {
  std::unordered_map<std::string, const emarsys::ContactError*> by_email;
  for (const emarsys::ContactError& error : errors) {
    by_email.emplace(lower_ascii(error.key), &error);
  }
  ListReply reply;
  for (std::string& email : emails) {
    const auto error = by_email.find(lower_ascii(email));
    if (error == by_email.end()) {
      reply.taken.push_back(std::move(email));
    } else if (error->second->code == "2008") {
      reply.not_found.push_back(std::move(email));
    } else {
      reply.refused.push_back({std::move(email), error->second->code, error->second->message});
    }
  }
  return reply;
}

}  // namespace emsync::sync
