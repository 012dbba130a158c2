// The admin methods of lib/admin/PROTOCOL.md that manage activations, one
// function each (their runs: run_methods.cpp), and the dispatch table of all
// methods.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "core/blocking.hpp"
#include "service/params.hpp"
#include "service/reply_budget.hpp"
#include "service/report.hpp"
#include "service/service.hpp"
#include "sync/list_run.hpp"

namespace emsync::service {

namespace asio = boost::asio;
using admin::Request;
using admin::Response;
using nlohmann::json;

namespace {

// Why the stored definition does not parse, or null.
json definition_error(const store::ActivationRecord& activation) {
  return activation.definition ? json(nullptr) : json(activation.definition_error);
}

// A member of the definition, or null when it does not parse.
template <class T>
json definition_member(const store::ActivationRecord& activation, T config::Activation::*member) {
  return activation.definition ? json((*activation.definition).*member) : json(nullptr);
}

// Applying does not lift an auto-pause: the operator says when.
std::string auto_paused_warning(const std::string& name, const std::string& reason) {
  return "activation '" + name + "' is auto-paused (" + reason +
         "); its schedule does not start it until `emsyncctl resume " + name +
         "` (or the daemon's next check passes)";
}

}  // namespace

asio::awaitable<Response> Service::dispatch(const Request& request) {
  using Method = asio::awaitable<Response> (Service::*)(const Request&);
  static const std::pair<const char*, Method> k_methods[] = {
      {"ping", &Service::handle_ping},     {"status", &Service::handle_status},
      {"apply", &Service::handle_apply},   {"list", &Service::handle_list},
      {"show", &Service::handle_show},     {"delete", &Service::handle_delete},
      {"run", &Service::handle_run},       {"cancel", &Service::handle_cancel},
      {"runs", &Service::handle_runs},     {"errors", &Service::handle_errors},
      {"pause", &Service::handle_pause},   {"resume", &Service::handle_resume},
      {"reload", &Service::handle_reload}, {"audit", &Service::handle_audit},
      {"retry", &Service::handle_retry},
      {"explain", &Service::handle_explain},
      {"preview", &Service::handle_preview},
  };
  for (const auto& [name, method] : k_methods) {
    if (request.method == name) {
      try {
        co_return co_await (this->*method)(request);
      } catch (const json::exception& e) {
        co_return Response::failure(to_string(Errc::invalid_input),
                                    "'" + request.method + "': bad parameter: " + e.what());
      } catch (const std::exception& e) {
        spdlog::error("admin method '{}' failed: {}", request.method, e.what());
      } catch (...) {
        spdlog::error("admin method '{}' failed with an unknown exception", request.method);
      }
      co_return admin::internal_failure(request.method);
    }
  }
  co_return Response::failure(to_string(Errc::not_found),
                              "unknown method '" + request.method + "'");
}

asio::awaitable<Result<store::ActivationRecord>> Service::find_activation(const std::string& name) {
  auto found = co_await on_pool(m_pool, [&] { return m_store->find_activation(name); });
  if (!found) {
    co_return found.error();
  }
  if (!*found) {
    co_return make_error(Errc::not_found,
                         "no activation named '" + name + "' (see `emsyncctl list`)");
  }
  co_return std::move(**found);
}

asio::awaitable<Result<store::ActivationRecord>> Service::named_activation(const Request& request) {
  auto name = string_param(request, "name");
  if (!name) {
    co_return name.error();
  }
  co_return co_await find_activation(*name);
}

asio::awaitable<Response> Service::handle_apply(const Request& request) {
  const auto& given = request.params.value("activations", json::array());
  auto parsed = config::parse_activations(given.dump());
  if (!parsed) {
    co_return Response::from_error(parsed.error());
  }
  std::string problems;
  for (const auto& activation : *parsed) {
    if (auto checked = config::check_references(activation, m_config); !checked) {
      problems += (problems.empty() ? "" : "\n") + checked.error().message;
    }
  }
  if (!problems.empty()) {
    co_return Response::failure(to_string(Errc::invalid_input), problems);
  }
  const bool check = param_or(request, "check", true);
  json applied = json::array();
  json warnings = json::array();
  for (const auto& activation : *parsed) {
    auto existing =
        co_await on_pool(m_pool, [&] { return m_store->find_activation(activation.name); });
    if (!existing) {
      co_return Response::from_error(existing.error());
    }
    // As the store decides whether to write: by the canonical text.
    const bool unchanged =
        *existing && (*existing)->stored_text == config::to_json(activation).dump();
    const char* action = !*existing ? "created" : unchanged ? "unchanged" : "updated";
    applied.push_back({{"name", activation.name}, {"action", action}});
    // A new or changed activation is checked (no row read, nothing sent);
    // nothing is stored unless every one passes.
    if (check && !unchanged) {
      auto checked = co_await check_new_activation(activation);
      if (!checked) {
        co_return Response::from_error(checked.error());
      }
      for (auto& warning : *checked) {
        warnings.push_back(std::move(warning));
      }
    }
    if (*existing && (*existing)->auto_paused_reason) {
      warnings.push_back(auto_paused_warning(activation.name, *(*existing)->auto_paused_reason));
    }
  }
  auto stored = co_await on_pool(m_pool, [&] { return m_store->apply_activations(*parsed); });
  if (!stored) {
    co_return Response::from_error(stored.error());
  }
  co_await refresh_plans();
  co_return Response::success({{"applied", applied}, {"warnings", warnings}});
}

asio::awaitable<Response> Service::handle_list(const Request&) {
  auto activations = co_await on_pool(m_pool, [&] { return m_store->list_activations(); });
  if (!activations) {
    co_return Response::from_error(activations.error());
  }
  json out = json::array();
  ReplyBudget budget;
  std::size_t shown = 0;
  for (const auto& a : *activations) {
    auto runs = co_await on_pool(m_pool, [&] { return m_store->list_runs(a.id, 1); });
    const bool fits = budget.add(
        out,
        {{"name", a.name},
         {"source", definition_member(a, &config::Activation::source)},
         {"destination", a.destination},
         {"schedule", definition_member(a, &config::Activation::schedule)},
         {"timezone", definition_member(a, &config::Activation::timezone)},
         {"state", activation_state(a)},
         {"definition_error", definition_error(a)},
         {"auto_paused_reason", optional_json(a.auto_paused_reason)},
         {"activity", activity_of(a.name)},
         {"next_run", timestamp_json(m_plans.next_run(a.name))},
         {"last_run", runs && !runs->empty() ? run_report(runs->front()) : json(nullptr)}});
    if (!fits) {
      break;
    }
    ++shown;
  }
  co_return Response::success({{"activations", out}, {"not_shown", activations->size() - shown}});
}

asio::awaitable<Response> Service::handle_show(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  auto runs = co_await on_pool(m_pool, [&] { return m_store->list_runs(a->id, 1); });
  const bool list = a->definition && a->definition->mode == config::Mode::list;
  auto contacts = co_await on_pool(m_pool, [&] {
    return list ? m_store->count_list_members(a->id) : m_store->count_contacts(a->id);
  });
  json incremental = nullptr;
  if (a->definition && a->definition->incremental) {
    auto state = co_await on_pool(m_pool, [&] { return m_store->load_read_state(a->id); });
    if (!state) {
      co_return Response::from_error(state.error());
    }
    incremental = incremental_json(*a->definition->incremental, *state);
  }
  co_return Response::success(
      {{"name", a->name},
       {"definition", a->definition ? config::to_json(*a->definition) : json(nullptr)},
       {"definition_error", definition_error(*a)},
       {"stored_definition", a->definition ? json(nullptr) : json(a->stored_text)},
       {"state", activation_state(*a)},
       {"auto_paused_reason", optional_json(a->auto_paused_reason)},
       {"failure_streak", a->failure_streak},
       {"activity", activity_of(a->name)},
       {"next_run", timestamp_json(m_plans.next_run(a->name))},
       {"contacts", contacts ? *contacts : 0},
       {"incremental", std::move(incremental)},
       {"created_at", timestamp_json(a->created_at)},
       {"updated_at", timestamp_json(a->updated_at)},
       {"last_run", runs && !runs->empty() ? run_report(runs->front()) : json(nullptr)}});
}

asio::awaitable<Response> Service::handle_delete(const Request& request) {
  auto name = string_param(request, "name");
  if (!name) {
    co_return Response::from_error(name.error());
  }
  if (m_runs.running(*name)) {
    co_return Response::failure(to_string(Errc::invalid_input),
                                "activation '" + *name + "' is running; `emsyncctl cancel " +
                                    *name + "`, then delete it once the run has ended");
  }
  if (auto withdrawn = m_runs.cancel(*name).withdrawn) {
    co_await cancel_waiting_run(*withdrawn, "the activation was deleted");
  }
  json result = json::object();
  if (param_or(request, "empty_list", false)) {
    auto emptied = co_await empty_list(*name);
    if (!emptied) {
      co_return Response::from_error(emptied.error());
    }
    result["removed_from_list"] = *emptied;
  }
  auto deleted = co_await on_pool(m_pool, [&] { return m_store->delete_activation(*name); });
  if (!deleted) {
    co_return Response::from_error(deleted.error());
  }
  if (!*deleted) {
    co_return Response::failure(to_string(Errc::not_found), "no activation named '" + *name + "'");
  }
  co_await refresh_plans();
  result["deleted"] = *name;
  co_return Response::success(result);
}

asio::awaitable<Result<std::int64_t>> Service::empty_list(const std::string& name) {
  auto a = co_await find_activation(name);
  if (!a) {
    co_return a.error();
  }
  if (!a->definition) {
    co_return make_error(Errc::invalid_input, a->definition_error);
  }
  auto tools = run_tools(*a->definition);
  if (!tools) {
    co_return tools.error();
  }
  const sync::RunRequest request{.activation_id = a->id, .activation = *a->definition};
  const sync::RunEnvironment env{.resources = run_resources(*tools),
                                 .rejections = rejection_policy()};
  auto removed = co_await sync::empty_list(request, env);
  if (!removed) {
    co_return make_error(removed.error().code,
                         removed.error().message + "; activation '" + name +
                             "' was not deleted (delete it without --empty-list to leave its "
                             "list as it is)");
  }
  co_return removed;
}

asio::awaitable<Response> Service::handle_pause(const Request& request) {
  co_return co_await set_paused(request, true);
}

asio::awaitable<Response> Service::handle_resume(const Request& request) {
  co_return co_await set_paused(request, false);
}

// A paused activation keeps its state and can still be run by hand; only its
// schedule stops starting it. A run in progress finishes.
asio::awaitable<Response> Service::set_paused(const Request& request, bool paused) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  auto updated = co_await on_pool(m_pool, [&] { return m_store->set_paused(a->name, paused); });
  if (!updated) {
    co_return Response::from_error(updated.error());
  }
  co_await refresh_plans();
  co_return Response::success({{paused ? "paused" : "resumed", a->name}});
}

}  // namespace emsync::service
