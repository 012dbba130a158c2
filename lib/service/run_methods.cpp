// The admin methods of lib/admin/PROTOCOL.md about an activation's runs: run,
// preview, cancel, retry, and the run history (runs, errors).
#include <algorithm>

#include "core/blocking.hpp"
#include "service/params.hpp"
#include "service/reply_budget.hpp"
#include "service/report.hpp"
#include "service/service.hpp"

namespace emsync::service {

namespace asio = boost::asio;
using admin::Request;
using admin::Response;
using nlohmann::json;

asio::awaitable<Response> Service::handle_run(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  auto ticket = co_await request_run(
      *a, Trigger::manual, param_or(request, "full", false) ? sync::Scope::full : sync::Scope::changes,
      param_or(request, "force", false) ? sync::SafetyValve::bypass : sync::SafetyValve::enforce);
  if (!ticket) {
    co_return Response::from_error(ticket.error());
  }
  if (!param_or(request, "wait", false)) {
    co_return Response::success({{"run_id", ticket->run_id}, {"queued", ticket->queued}});
  }
  auto finished = co_await wait_for_run(ticket->run_id);
  if (!finished) {
    co_return Response::from_error(finished.error());
  }
  co_return Response::success(run_report(*finished));
}

// What a run would do now (sync::preview_run): nothing sent, nothing stored,
// not a run (no run id, no run history, no auto-pause streak).
asio::awaitable<Response> Service::handle_preview(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  const int limit = std::clamp(param_or(request, "limit", k_default_preview_sample), 0,
                               k_max_list_limit);
  auto result = co_await preview(*a, param_or(request, "full", false), limit);
  co_return result ? Response::success(std::move(*result)) : Response::from_error(result.error());
}

asio::awaitable<Result<json>> Service::preview(const store::ActivationRecord& activation,
                                               bool full, int sample_limit) {
  if (m_stopping) {
    co_return make_error(Errc::cancelled, "the daemon is shutting down; no preview is started");
  }
  if (!activation.definition) {
    co_return make_error(Errc::invalid_input, activation.definition_error);
  }
  auto tools = run_tools(*activation.definition);
  if (!tools) {
    co_return tools.error();
  }
  const sync::RunRequest request{.activation_id = activation.id,
                                 .activation = *activation.definition,
                                 .scope = full ? sync::Scope::full : sync::Scope::changes};
  const sync::RunEnvironment env{.resources = run_resources(*tools),
                                 .control = {.cancel_requested = &m_stop_previews},
                                 .rejections = rejection_policy()};
  ++m_previews;
  auto found = co_await sync::preview_run(request, env, sample_limit);
  --m_previews;
  if (!found) {
    co_return found.error();
  }
  co_return preview_json(activation.name, *activation.definition, full, *found);
}

// Stops the activation's run (its model query at once, its sending at the
// next batch boundary; what Emarsys acknowledged stays stored) and drops its
// queued run; answers once the run has ended.
asio::awaitable<Response> Service::handle_cancel(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  json result = {
      {"activation", a->name}, {"cancelled_queued_run", nullptr}, {"cancelled_run", nullptr}};
  const auto cancelled = m_runs.cancel(a->name);
  if (cancelled.withdrawn) {
    co_await cancel_waiting_run(*cancelled.withdrawn,
                                "cancelled by `emsyncctl cancel` before it started");
    result["cancelled_queued_run"] = *cancelled.withdrawn;
  }
  if (cancelled.running) {
    auto finished = co_await wait_for_run(*cancelled.running);
    if (!finished) {
      co_return Response::from_error(finished.error());
    }
    result["cancelled_run"] = run_report(*finished);
  }
  if (result["cancelled_run"].is_null() && result["cancelled_queued_run"].is_null()) {
    co_return Response::failure(to_string(Errc::not_found),
                                "activation '" + a->name + "' has no run in progress or queued");
  }
  publish_status();
  co_return Response::success(result);
}

// Unparks the activation's contacts: its next run sends them again.
asio::awaitable<Response> Service::handle_retry(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  auto cleared = co_await on_pool(m_pool, [&] { return m_store->clear_rejection_streaks(a->id); });
  if (!cleared) {
    co_return Response::from_error(cleared.error());
  }
  co_return Response::success({{"activation", a->name}, {"unparked", *cleared}});
}

asio::awaitable<Response> Service::handle_runs(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  const int limit = std::clamp(param_or(request, "limit", 20), 1, k_max_list_limit);
  auto runs = co_await on_pool(m_pool, [&] { return m_store->list_runs(a->id, limit); });
  if (!runs) {
    co_return Response::from_error(runs.error());
  }
  json out = json::array();
  ReplyBudget budget;
  std::size_t shown = 0;
  while (shown < runs->size() && budget.add(out, run_report((*runs)[shown]))) {
    ++shown;
  }
  co_return Response::success({{"runs", out}, {"not_shown", runs->size() - shown}});
}

// The run `errors` lists: `run_id` when given (not_found when it is no run
// of the activation), else the activation's latest run that started;
// nullopt when it has none.
asio::awaitable<Result<std::optional<store::RunRecord>>> Service::errors_run(
    const store::ActivationRecord& activation, std::optional<std::int64_t> run_id) {
  if (run_id) {
    auto found = co_await on_pool(m_pool, [&] { return m_store->find_run(*run_id); });
    if (!found) {
      co_return found.error();
    }
    if (!*found || (*found)->activation_id != activation.id) {
      co_return make_error(Errc::not_found, "activation '" + activation.name + "' has no run " +
                                                std::to_string(*run_id) +
                                                " (see `emsyncctl runs " + activation.name + "`)");
    }
    co_return std::move(*found);
  }
  // The newest run may be queued behind a running one: at most two to look at.
  auto runs = co_await on_pool(m_pool, [&] { return m_store->list_runs(activation.id, 2); });
  if (!runs) {
    co_return runs.error();
  }
  for (auto& run : *runs) {
    if (run.status != store::RunStatus::queued) {
      co_return std::optional<store::RunRecord>(std::move(run));
    }
  }
  co_return std::optional<store::RunRecord>();
}

namespace {

// What `errors` was asked for.
struct ErrorsQuery {
  std::optional<std::int64_t> run_id;
  std::string kind_text;              // "all" or a kind
  std::optional<store::RowKind> kind;  // nullopt: all
  int limit = k_default_errors_limit;
  std::int64_t offset = 0;
};

Result<ErrorsQuery> errors_query(const Request& request) {
  ErrorsQuery query;
  if (auto it = request.params.find("run_id"); it != request.params.end() && !it->is_null()) {
    query.run_id = param_or(request, "run_id", std::int64_t{0});
  }
  query.kind_text = param_or<std::string>(request, "kind", "all");
  query.kind = store::row_kind_from_string(query.kind_text);
  if (!query.kind && query.kind_text != "all") {
    return make_error(Errc::invalid_input,
                      "'kind' is 'rejected', 'failed', 'not_found' or 'all', not '" +
                          row_text(query.kind_text) + "'");
  }
  query.limit =
      std::clamp(param_or(request, "limit", k_default_errors_limit), 1, k_max_list_limit);
  query.offset = std::max<std::int64_t>(0, param_or<std::int64_t>(request, "offset", 0));
  return query;
}

// The reply: the page's rows while they fit, the run's report (null with no run).
json errors_reply(const std::optional<store::RunRecord>& run, const ErrorsQuery& query,
                  const store::RejectionPage& page) {
  json errors = json::array();
  ReplyBudget budget;
  std::int64_t shown = 0;
  for (const auto& r : page.rejections) {
    if (!budget.add(errors, {{"kind", store::to_string(r.kind)},
                             {"row_key", r.row_key},
                             {"code", r.code},
                             {"message", r.message}})) {
      break;
    }
    ++shown;
  }
  const std::int64_t next = query.offset + shown;
  return {{"run_id", run ? json(run->id) : json(nullptr)},
          {"run", run ? run_report(*run) : json(nullptr)},
          {"kind", query.kind_text},
          {"errors", errors},
          {"total", page.total},
          {"offset", query.offset},
          {"next_offset", next < page.total ? json(next) : json(nullptr)},
          {"not_kept", page.not_kept}};
}

}  // namespace

// One page of the rows a run did not settle (rejected, failed, not found):
// at most `limit` from `offset`, fewer when they would not fit in the reply
// (next_offset says where to go on), with the run's report (its status and
// error).
asio::awaitable<Response> Service::handle_errors(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  const auto query = errors_query(request);
  if (!query) {
    co_return Response::from_error(query.error());
  }
  auto run = co_await errors_run(*a, query->run_id);
  if (!run) {
    co_return Response::from_error(run.error());
  }
  if (!*run) {
    co_return Response::success(errors_reply(std::nullopt, *query, {}));
  }
  auto page = co_await on_pool(m_pool, [&] {
    return m_store->list_rejections(a->id, (*run)->id, query->kind, query->offset, query->limit);
  });
  if (!page) {
    co_return Response::from_error(page.error());
  }
  co_return Response::success(errors_reply(*run, *query, *page));
}

}  // namespace emsync::service
