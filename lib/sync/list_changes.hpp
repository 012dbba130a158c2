// The pure decisions of a list run (list_run.hpp): which Emarsys list an
// activation means, and what Emarsys' answer to an add or delete request
// says of each email. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/activation.hpp"
#include "emarsys/api_types.hpp"

namespace emsync::sync {

// The id of the list `ref` names among `lists` (GET /contactlist): the list
// of that id, or the first of that exact name; nullopt when none.
//   find_list({{7, "VIP"}}, std::string("VIP")) == 7
std::optional<std::int64_t> find_list(const std::vector<emarsys::ContactList>& lists,
                                      const config::ListRef& ref);

// One email of a request that Emarsys refused.
struct RefusedEmail {
  std::string email;
  std::string code;  // the replyCode, as text ("2008")
  std::string message;
};

// The emails of one add or delete request sorted by Emarsys' answer.
struct ListReply {
  std::vector<std::string> taken;  // added (or removed), or already so
  std::vector<std::string> not_found;  // 2008: Emarsys has no contact with that email
  std::vector<RefusedEmail> refused;   // any other per-email error
};

// Sorts `emails` (as sent: normalised, unique) by `errors`, which Emarsys
// keys by the email as sent (matched without regard to ASCII case, should it
// answer in another; UNCONFIRMED). An error of an email not sent is ignored.
ListReply sort_list_reply(std::vector<std::string> emails,
                          const std::vector<emarsys::ContactError>& errors);

}  // namespace emsync::sync
