// The /api/v2 and /api/v3 endpoint handlers and the payload checks they
// share. A handler runs after authentication and rate limiting, under the
// Simulator's mutex; whole-request failures are thrown as ApiFailure and
// become {"replyCode","replyText","data":""} replies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/http.hpp"
#include "sim/store.hpp"

namespace emsync::sim {

struct ApiCall {
  State& state;
  const Request& request;
  const Target& target;
  std::vector<std::string> params;  // the {id} segments of the matched route
  Json& log;                        // this call's request-log entry; handlers add payload extracts
  Clock::time_point now;
};

// contact_api.cpp
Response update_contacts(ApiCall& call);   // PUT  /contact[?create_if_not_exists=1]
Response create_contacts(ApiCall& call);   // POST /contact
Response get_contact_data(ApiCall& call);  // POST /contact/getdata

// field_list_api.cpp
Response list_fields(ApiCall& call);         // GET  /field
Response create_field(ApiCall& call);        // POST /field
Response list_field_choices(ApiCall& call);  // GET  /field/{id}/choice
Response list_choices_of_fields(ApiCall& call);  // GET  /field/choices?fields=<id>[,<id>...]

// contact_list_api.cpp
Response list_contact_lists(ApiCall& call);        // GET  /contactlist
Response create_contact_list(ApiCall& call);       // POST /contactlist
Response add_to_contact_list(ApiCall& call);       // POST /contactlist/{id}/add
Response remove_from_contact_list(ApiCall& call);  // POST /contactlist/{id}/delete
Response count_contact_list(ApiCall& call);        // GET  /contactlist/{id}/count
Response list_contact_ids(ApiCall& call);  // GET /contactlist/{id}/contactIds?$top=&$skiptoken=

// api_common.cpp

// The body as a JSON object; throws 400/1010 when it is not one.
Json parse_object_body(const ApiCall& call);

// Requires body[member], when present (or when `required`), to name the email
// field: 3, "3" or "email". Throws 400/2004 "Invalid key field id: <value>".
void require_email_key(const FieldCatalog& fields, const Json& body, std::string_view member,
                       bool required);

// body["external_ids"] of a list call: an array of at most 10000 values.
// Throws 400/3003 (not an array) or 400/3002 (too many). Logs the ids.
const Json& external_ids_of(const ApiCall& call, const Json& body);

// Adds `payload` to the call's request-log entry as `name`, unless the
// simulator runs with --no-payload-log.
void log_payload(const ApiCall& call, const char* name, const Json& payload);

// The email as a key value: the string, else its JSON text.
std::string key_text(const Json& value);

}  // namespace emsync::sim
