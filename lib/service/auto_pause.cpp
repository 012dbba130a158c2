// Auto-pause and auto-resume (issue #4, following DinMo): an activation whose
// runs keep failing for a reason that will not fix itself stops being
// scheduled, with the reason in `list`/`show`; the daemon checks it
// periodically and resumes it once the check passes. The rules are in
// auto_pause_policy.hpp; this file does the I/O.
#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/blocking.hpp"
#include "service/service.hpp"
#include "sync/preflight.hpp"

namespace emsync::service {

namespace asio = boost::asio;

namespace {

// What sync::check_activation() found, each message naming the activation
// once (a column or field error names it already: "activation 'crm': ...",
// "activation 'crm', column 'city': ..."). Not in the coroutine: GCC 12
// warns about a mismatched delete there.
Result<std::vector<std::string>> named_findings(const std::string& name,
                                                Result<std::vector<std::string>> found) {
  const std::string named = "activation '" + name + "'";
  if (!found) {
    std::string_view reason = found.error().message;
    if (reason.starts_with(named + ": ") || reason.starts_with(named + ", ")) {
      reason.remove_prefix(named.size() + 2);
    }
    return make_error(found.error().code, named + ": the check failed: " + std::string(reason));
  }
  for (auto& warning : *found) {
    warning = named + ": " + warning;
  }
  return found;
}

}  // namespace

asio::awaitable<void> Service::note_run_health(const std::string& name,
                                               const std::optional<std::string>& needs_attention) {
  auto streak = co_await on_pool(
      m_pool, [&] { return m_store->record_run_health(name, needs_attention.has_value()); });
  if (!streak) {
    spdlog::error("activation {}: cannot record its failure streak: {}", name,
                  streak.error().message);
    co_return;
  }
  const auto reason =
      auto_pause_reason(*streak, m_config.auto_pause_after_failures, needs_attention);
  if (!reason) {
    co_return;
  }
  auto paused = co_await on_pool(m_pool, [&] { return m_store->set_auto_paused(name, *reason); });
  if (!paused) {
    spdlog::error("activation {}: cannot auto-pause: {}", name, paused.error().message);
    co_return;
  }
  spdlog::warn("activation {} auto-paused: {} (checked every {} s; `emsyncctl resume {}` lifts it)",
               name, *reason, m_config.auto_resume_check.count(), name);
  co_await refresh_plans();
}

asio::awaitable<Result<void>> Service::check_activation(const store::ActivationRecord& record) {
  const auto& definition = record.definition;
  if (!definition) {  // not checked: only applying it again helps
    co_return make_error(Errc::invalid_input, record.definition_error);
  }
  auto tools = run_tools(*definition);
  if (!tools) {
    co_return tools.error();
  }
  const sync::RunResources resources = run_resources(*tools);
  const sync::RunRequest request{.activation_id = record.id, .activation = *definition};
  co_return co_await sync::preflight(request, resources);
}

asio::awaitable<Result<std::vector<std::string>>> Service::check_new_activation(
    const config::Activation& activation) {
  auto tools = run_tools(activation);
  if (!tools) {
    co_return tools.error();
  }
  const sync::RunResources resources = run_resources(*tools);
  const sync::RunRequest request{.activation = activation};
  auto checked = co_await sync::check_activation(request, resources);
  co_return named_findings(activation.name, std::move(checked));
}

asio::awaitable<void> Service::auto_resume_loop() {
  asio::steady_timer timer(m_io);
  while (!m_stopping) {
    // Asked again after each wait: a reload may change auto_resume_check.
    if (const auto wait = m_auto_resume.until_due(m_config.auto_resume_check); wait.count() > 0) {
      timer.expires_after(wait);
      boost::system::error_code ignored;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    auto activations = co_await on_pool(m_pool, [&] { return m_store->list_activations(); });
    if (!activations) {
      spdlog::error("auto-resume: cannot read the activations (tried again in {} s): {}",
                    m_config.auto_resume_check.count(), activations.error().message);
    }
    if (!activations || m_stopping) {
      m_auto_resume.round_done();
      continue;
    }
    bool lifted = false;
    for (const auto& record : *activations) {
      if (!AutoResumeRounds::needs_check(record, m_runs.running(record.name) != nullptr)) {
        continue;
      }
      auto checked = co_await check_activation(record);
      if (!checked) {
        spdlog::info("activation {} stays auto-paused: {}", record.name, checked.error().message);
        continue;
      }
      auto resumed = co_await on_pool(
          m_pool, [&] { return m_store->set_auto_paused(record.name, std::nullopt); });
      if (!resumed) {
        spdlog::error("activation {}: the check passed but the auto-pause could not be lifted: {}",
                      record.name, resumed.error().message);
        continue;
      }
      spdlog::info("activation {}: the check passed, auto-pause lifted", record.name);
      lifted = true;
    }
    if (lifted) {
      co_await refresh_plans();
    }
    m_auto_resume.round_done();
  }
}

}  // namespace emsync::service
