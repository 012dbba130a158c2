// Request routing, auth, rate limiting and logging (see simulator.hpp).
#include "sim/simulator.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include "sim/api.hpp"
#include "sim/control.hpp"

namespace emsync::sim {
namespace {

using ApiHandler = Response (*)(ApiCall&);

struct ApiRoute {
  std::string_view method;
  std::vector<std::string_view> pattern;  // "{id}" matches a decimal id
  ApiHandler handler;
};

const std::vector<ApiRoute>& api_routes() {
  static const std::vector<ApiRoute> k_routes = {
      {"GET", {"field"}, list_fields},
      {"POST", {"field"}, create_field},
      {"GET", {"field", "{id}", "choice"}, list_field_choices},
      {"GET", {"field", "choices"}, list_choices_of_fields},
      {"PUT", {"contact"}, update_contacts},
      {"POST", {"contact"}, create_contacts},
      {"POST", {"contact", "getdata"}, get_contact_data},
      {"GET", {"contactlist"}, list_contact_lists},
      {"POST", {"contactlist"}, create_contact_list},
      {"POST", {"contactlist", "{id}", "add"}, add_to_contact_list},
      {"POST", {"contactlist", "{id}", "delete"}, remove_from_contact_list},
      {"GET", {"contactlist", "{id}", "count"}, count_contact_list},
      {"GET", {"contactlist", "{id}", "contactIds"}, list_contact_ids},
  };
  return k_routes;
}

bool is_id(std::string_view segment) {
  return !segment.empty() && segment.size() <= 18 &&
         std::all_of(segment.begin(), segment.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    if (slash != 0) {
      out.emplace_back(path.substr(0, slash));
    }
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

// How many leading segments `pattern` matches; the {id} values go to `params`.
std::size_t match_prefix(const ApiRoute& route, const std::vector<std::string>& segments,
                         std::vector<std::string>& params) {
  params.clear();
  std::size_t n = 0;
  for (; n < route.pattern.size() && n < segments.size(); ++n) {
    const bool wildcard = route.pattern[n] == "{id}";
    if (wildcard ? !is_id(segments[n]) : route.pattern[n] != segments[n]) {
      break;
    }
    if (wildcard) {
      params.push_back(segments[n]);
    }
  }
  return n;
}

// 400 "Action X is invalid." names the first segment no route matches,
// capitalised, as in the recorded `/contactlist/wrong-id/add` reply.
Response invalid_action(const std::vector<std::string>& segments, std::size_t matched) {
  std::string action = matched < segments.size() ? segments[matched]
                       : segments.empty()        ? std::string()
                                                 : segments.back();
  if (!action.empty()) {
    action[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(action[0])));
  }
  return envelope(400, 1, "Action " + action + " is invalid.");
}

Response dispatch(ApiCall& call, std::string_view resource_path) {
  const std::vector<std::string> segments = split_path(resource_path);
  bool path_known = false;
  std::size_t best = 0;
  for (const ApiRoute& route : api_routes()) {
    const std::size_t matched = match_prefix(route, segments, call.params);
    best = std::max(best, matched);
    if (matched != route.pattern.size() || matched != segments.size()) {
      continue;
    }
    path_known = true;
    if (route.method == call.request.method) {
      return route.handler(call);
    }
  }
  return path_known ? envelope(501, 1, "Not implemented") : invalid_action(segments, best);
}

void add_rate_headers(Response& response, const RateDecision& decision) {
  response.headers.emplace_back("X-Ratelimit-Limit", std::to_string(decision.limit));
  response.headers.emplace_back("X-Ratelimit-Remaining", std::to_string(decision.remaining));
  response.headers.emplace_back("X-Ratelimit-Reset", std::to_string(decision.reset_epoch_seconds));
}

// Applies a drawn fault's delivery (reset_after, slow) and names it in the
// server's log line.
void finish_fault(FaultKind fault, std::chrono::milliseconds slow, Response& response,
                  std::string& note) {
  if (fault == FaultKind::none) {
    return;
  }
  apply_delivery_fault(fault, slow, response);
  note += (note.empty() ? "fault=" : " fault=") + std::string(fault_name(fault));
}

}  // namespace

Simulator::Simulator(Config config) : m_config(std::move(config)), m_state(m_config) {}

Response Simulator::handle(const Request& request, Clock::time_point now) {
  const Target target = parse_target(request.target);
  std::string note;
  std::lock_guard lock(m_mutex);
  Response response = route(request, target, now, note);
  response.log_note = std::move(note);
  return response;
}

Response Simulator::route(const Request& request, const Target& target, Clock::time_point now,
                          std::string& note) {
  try {
    if (target.path.starts_with("/sim/")) {
      return handle_control(m_state, request, target, now);
    }
    if (target.path == "/oauth2/token") {
      return handle_token(request, target, now, note);
    }
    if (target.path.starts_with("/api/v2") || target.path.starts_with("/api/v3")) {
      return handle_api(request, target, now, note);
    }
    return json_response(404, Json{{"error", "not found"}});
  } catch (const std::exception& e) {
    note = std::string("internal error: ") + e.what();
    return envelope(500, 1, "Internal error");
  }
}

Response Simulator::handle_token(const Request& request, const Target& target,
                                 Clock::time_point now, std::string& note) {
  const FaultKind fault = m_state.faults.draw(target.path, true);
  Response response;
  if (refuses(fault)) {
    response = fault_reply(fault, m_config, target.path, now);
  } else if (request.method == "POST") {
    response = m_state.auth.issue_token(request, now);
  } else {
    response = json_response(405, Json{{"error", "invalid_request"}});
  }
  finish_fault(fault, m_state.faults.slow_delay(), response, note);
  return response;
}

Response Simulator::handle_api(const Request& request, const Target& target, Clock::time_point now,
                               std::string& note) {
  const std::string_view rest = std::string_view(target.path).substr(7);
  if (!rest.empty() && rest.front() != '/') {
    return json_response(404, Json{{"error", "not found"}});
  }
  Json entry{{"seq", m_state.next_request_seq++},
             {"method", request.method},
             {"path", target.path},
             {"query", target.query},
             {"user", ""}};
  const FaultKind fault = m_state.faults.draw(target.path, false);
  Response response = refuses(fault) ? fault_reply(fault, m_config, target.path, now)
                                     : serve_api(request, target, now, entry, note);
  if (fault != FaultKind::none) {
    entry["fault"] = fault_name(fault);
    finish_fault(fault, m_state.faults.slow_delay(), response, note);
  }
  const bool contact_write =
      (request.method == "PUT" || request.method == "POST") && target.path.ends_with("/contact");
  const bool list_change = request.method == "POST" &&
                           target.path.find("/contactlist/") != std::string::npos &&
                           (target.path.ends_with("/add") || target.path.ends_with("/delete"));
  if ((contact_write || list_change) && response.status == 200) {
    if (const auto hostile = m_state.faults.hostile_reply()) {
      response.body = hostile_body(*hostile);  // the contacts or members were written
      entry["fault"] = fault_name(FaultKind::hostile_reply);
      note += " fault=hostile_reply";
    }
  }
  entry["status"] = response.status == 0 ? Json() : Json(response.status);
  m_state.requests.push_back(std::move(entry));
  return response;
}

Response Simulator::serve_api(const Request& request, const Target& target, Clock::time_point now,
                              Json& entry, std::string& note) {
  const std::string_view version = std::string_view(target.path).substr(5, 2);
  const std::string& wsse = request.header("x-wsse");
  const AuthOutcome auth =
      version == "v2" ? m_state.auth.check_wsse(wsse.empty() ? request.header("wsse") : wsse, now)
                      : m_state.auth.check_bearer(request.header("authorization"), now);
  Response response;
  if (!auth.ok()) {
    note = "(" + auth.error + ")";
    response = envelope(401, 1, "Unauthorized");
  } else {
    entry["user"] = auth.user;
    note = "user=" + auth.user;
    const RateDecision decision = m_state.limiter.admit(auth.user, now);
    if (!decision.allowed) {
      ++m_state.rate_limited;
      response = envelope(
          429, 7003, "Too many requests for this account and resource within the last minute.");
    } else {
      ApiCall call{m_state, request, target, {}, entry, now};
      try {
        response = dispatch(call, std::string_view(target.path).substr(7));
      } catch (const ApiFailure& failure) {
        note += " (" + std::to_string(failure.code) + " " + failure.what() + ")";
        response = envelope(failure.status, failure.code, failure.what());
      } catch (const Json::exception& e) {
        note += std::string(" (") + e.what() + ")";
        response = envelope(400, 1001, "One or more parameters are invalid or missing");
      }
    }
    add_rate_headers(response, decision);
  }
  return response;
}

}  // namespace emsync::sim
