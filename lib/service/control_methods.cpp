// The admin methods about the daemon itself (ping, status, reload, audit),
// plus the audit log every state-changing method goes through.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "core/blocking.hpp"
#include "core/json_limits.hpp"
#include "service/params.hpp"
#include "service/reply_budget.hpp"
#include "service/report.hpp"
#include "service/service.hpp"

namespace emsync::service {

namespace asio = boost::asio;
using admin::Request;
using admin::Response;
using nlohmann::json;

namespace {

// Audit entries quote at most this much of what a caller sent or got.
constexpr std::size_t k_audit_detail_chars = 300;  // target, detail
constexpr std::size_t k_audit_method_chars = 100;

std::string clipped(std::string text, std::size_t limit) {
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

// The activation(s) a request is about: "name", or the names of an apply.
std::optional<std::string> audit_target(const Request& request) {
  if (auto name = request.params.find("name"); name != request.params.end() && name->is_string()) {
    return name->get<std::string>();
  }
  auto activations = request.params.find("activations");
  if (activations == request.params.end() || !activations->is_array()) {
    return std::nullopt;
  }
  std::string names;
  for (const auto& activation : *activations) {
    if (activation.is_object() && activation.contains("name") && activation["name"].is_string()) {
      names += (names.empty() ? "" : ",") + activation["name"].get<std::string>();
    }
  }
  return names.empty() ? std::nullopt : std::optional(names);
}

json progress_json(const std::string& name, std::int64_t run_id, UnixMillis started_at,
                   const sync::RunProgress& progress, UnixMillis now) {
  const std::int64_t rows_read = progress.rows_read.load();
  const std::int64_t done = progress.rows_settled.load();
  const UnixMillis sending_since = progress.sending_since.load();
  const bool sending = sending_since > 0;
  const double seconds = static_cast<double>(now - (sending ? sending_since : started_at)) / 1000.0;
  const double rate = seconds > 0.5 ? static_cast<double>(sending ? done : rows_read) / seconds : 0;
  json eta = nullptr;
  if (sending && rate > 0) {
    eta = static_cast<std::int64_t>(static_cast<double>(rows_read - done) / rate + 0.5);
  }
  return {{"activation", name},
          {"run_id", run_id},
          {"started_at", timestamp_json(started_at)},
          {"elapsed_s", (now - started_at) / 1000},
          {"phase", sending ? "sending" : "reading"},
          {"rows_read", rows_read},
          {"rows_done", done},
          {"rows_per_s", static_cast<std::int64_t>(rate)},
          {"eta_s", eta}};
}

// An audit entry's detail: the call's result as it was (an object) when the
// stored text is one, else the text (an error message, or a result cut).
json detail_json(const std::string& detail) {
  if (detail.starts_with('{')) {
    if (auto parsed = parse_json_bounded(detail); parsed && parsed->is_object()) {
      return std::move(*parsed);
    }
  }
  return row_text(detail);
}

}  // namespace

asio::awaitable<Response> Service::handle(Request request) {
  const UnixMillis at = m_clock.wall();
  Response response;
  if (admin::may_call(request.method, request.peer, m_access)) {
    response = co_await dispatch(request);
  } else {
    response = Response::failure(admin::k_permission_denied,
                                 admin::denial_message(request.method, m_access));
  }
  if (admin::tier_of(request.method) != admin::Tier::read_only) {
    co_await record_audit(request, response, at);
  }
  co_return response;
}

asio::awaitable<void> Service::record_audit(const Request& request, const Response& response,
                                            UnixMillis at) {
  // A preview's sample names contacts: the audit log keeps its counts.
  const std::string detail = request.method == "explain" ? explain_audit_detail(request, response)
                             : !response.ok                  ? response.error_message
                             : request.method == "preview"   ? preview_summary(response.result)
                             : response.result.is_string()   ? response.result.get<std::string>()
                                                             : response.result.dump();
  auto target = audit_target(request);
  const store::AuditEntry entry{at,
                                request.peer.uid,
                                request.peer.gid,
                                request.peer.pid,
                                clipped(request.method, k_audit_method_chars),
                                target ? std::optional(clipped(*target, k_audit_detail_chars))
                                       : std::nullopt,
                                response.ok ? "ok" : response.error_code,
                                clipped(detail, k_audit_detail_chars)};
  spdlog::info("control method={} target={} peer_uid={} peer_pid={} outcome={}", entry.method,
               entry.target.value_or("-"), entry.peer_uid, entry.peer_pid, entry.outcome);
  auto stored = co_await on_pool(m_pool, [&] { return m_store->add_audit_entry(entry); });
  if (!stored) {
    spdlog::error("could not write the audit log: {}", stored.error().message);
  }
}

asio::awaitable<Response> Service::handle_ping(const Request&) {
  co_return Response::success(
      {{"version", EMSYNC_VERSION}, {"uptime_s", (m_clock.wall() - m_started_at) / 1000}});
}

asio::awaitable<Response> Service::handle_status(const Request&) {
  auto activations = co_await on_pool(m_pool, [&] { return m_store->list_activations(); });
  if (!activations) {
    co_return Response::from_error(activations.error());
  }
  std::map<std::string, std::int64_t> states{
      {"active", 0}, {"paused", 0}, {"auto-paused", 0}, {"invalid", 0}};
  for (const auto& activation : *activations) {
    ++states[activation_state(activation)];
  }
  const UnixMillis now = m_clock.wall();
  json runs = json::array();
  for (const Run* run : m_runs.running_runs()) {
    runs.push_back(progress_json(run->activation, run->id, *run->started_at, *run->progress, now));
  }
  co_return Response::success(
      {{"version", EMSYNC_VERSION},
       {"started_at", timestamp_json(m_started_at)},
       {"uptime_s", (now - m_started_at) / 1000},
       {"health", m_health.degraded() ? "degraded" : "ok"},
       {"degraded_reason",
        m_health.degraded() ? json(*m_health.degraded_reason()) : json(nullptr)},
       {"config_path", m_config_path},
       {"config_generation", m_config_generation},
       {"config_loaded_at", timestamp_json(m_config_loaded_at)},
       {"max_concurrent_runs", m_config.max_concurrent_runs},
       {"activations",
        {{"total", activations->size()},
         {"active", states["active"]},
         {"paused", states["paused"]},
         {"auto_paused", states["auto-paused"]},
         {"invalid", states["invalid"]},
         {"running", m_runs.running_count()},
         {"queued", m_runs.waiting_count()}}},
       {"runs", runs}});
}

asio::awaitable<Response> Service::handle_reload(const Request&) {
  auto reloaded = co_await reload();
  if (!reloaded) {
    spdlog::error("reload refused, the old config keeps running: {}", reloaded.error().message);
    co_return Response::failure(
        to_string(reloaded.error().code),
        "reload refused, the old config keeps running: " + reloaded.error().message);
  }
  co_return Response::success({{"config_generation", m_config_generation}, {"message", *reloaded}});
}

asio::awaitable<Response> Service::handle_audit(const Request& request) {
  const int limit = std::clamp(param_or(request, "limit", 50), 1, k_max_list_limit);
  auto entries = co_await on_pool(m_pool, [&] { return m_store->list_audit_entries(limit); });
  if (!entries) {
    co_return Response::from_error(entries.error());
  }
  json out = json::array();
  ReplyBudget budget;
  std::size_t shown = 0;
  for (const auto& e : *entries) {
    if (!budget.add(out, {{"at", timestamp_json(e.at)},
                          {"peer_uid", e.peer_uid},
                          {"peer_gid", e.peer_gid},
                          {"peer_pid", e.peer_pid},
                          {"method", row_text(e.method)},
                          {"target", e.target ? json(row_text(*e.target)) : json(nullptr)},
                          {"outcome", row_text(e.outcome)},
                          {"detail", e.detail ? detail_json(*e.detail) : json(nullptr)}})) {
      break;
    }
    ++shown;
  }
  co_return Response::success({{"entries", out}, {"not_shown", entries->size() - shown}});
}

}  // namespace emsync::service
