// Service lifecycle: creation, secrets and clients, start, stop and reload.
#include "service/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <filesystem>

#include "core/blocking.hpp"
#include "core/hardening.hpp"
#include "core/notify.hpp"
#include "service/connections.hpp"
#include "service/reload_check.hpp"

namespace emsync::service {

namespace asio = boost::asio;

namespace {

// Pool threads besides one per concurrent run, so that SQLite work (admin
// commands, the scheduler, batch commits) does not wait behind model reads: a
// run reading its model holds one pool thread throughout (decoding the
// source's rows) and a second one while its stored digests load, so these
// spare threads serve both those loads and the SQLite work.
constexpr int k_spare_pool_threads = 4;

}  // namespace

Service::Service(asio::io_context& io, const Clock& clock, config::Config config,
                 std::string config_path, FileLock lock, std::unique_ptr<store::StateStore> store)
    : m_io(io),
      m_clock(clock),
      m_config(std::move(config)),
      m_config_path(std::move(config_path)),
      m_lock(std::move(lock)),
      m_store(std::move(store)),
      m_pool_threads(m_config.max_concurrent_runs + k_spare_pool_threads),
      m_pool(static_cast<std::size_t>(m_pool_threads)),
      m_runs(static_cast<std::size_t>(m_config.max_concurrent_runs)),
      m_probe(std::make_unique<store::WriteProbe>(m_config.state_db)) {}

Service::~Service() { m_pool.join(); }

Result<std::unique_ptr<Service>> Service::create(asio::io_context& io, config::Config config,
                                                 std::string config_path, const Clock& clock) {
  auto lock = FileLock::acquire(config.state_db + ".lock", "the state DB " + config.state_db);
  if (!lock) {
    return lock.error();
  }
  auto store = store::open_state_store(config.state_db);
  if (!store) {
    return store.error();
  }
  auto interrupted = (*store)->mark_unfinished_runs_interrupted(clock.wall());
  if (!interrupted) {
    return interrupted.error();
  }
  if (*interrupted > 0) {
    spdlog::warn("{} run(s) left unfinished by the previous daemon were marked interrupted",
                 *interrupted);
  }
  std::unique_ptr<Service> service(new Service(io, clock, std::move(config), std::move(config_path),
                                               std::move(*lock), std::move(*store)));
  auto resources = service->load_resources(service->m_config);
  if (!resources) {
    return resources.error();
  }
  service->m_resources = std::move(*resources);
  const auto db_dir = std::filesystem::absolute(service->m_config.state_db).parent_path();
  service->m_spool_dir = (db_dir / "spool").string();
  std::error_code ec;
  std::filesystem::create_directories(service->m_spool_dir, ec);
  if (ec) {
    return make_error(Errc::io_error, "cannot create the spool directory " + service->m_spool_dir +
                                          ": " + ec.message());
  }
  return service;
}

Result<Service::Resources> Service::load_resources(const config::Config& config) {
  Resources resources;
  for (const auto& [name, source] : config.sources) {
    std::optional<std::string> password;
    if (source.password) {
      auto secret = load_secret(*source.password, "source '" + name + "' password");
      if (!secret) {
        return secret.error();
      }
      password = std::move(*secret);
      wipe(*secret);  // what a short secret left in the moved-from string
    }
    resources.source_passwords[name] = std::move(password);
  }
  // Destinations of one API user share its rate limiter, also with the
  // clients of the previous config that are kept or still finishing a run.
  emarsys::RateLimiters limiters(m_clock);
  for (const auto& [name, client] : m_resources.clients) {
    limiters.adopt(client->rate_limiter());
  }
  for (const auto& [name, destination] : config.destinations) {
    const bool wsse = destination.auth == config::AuthKind::wsse;
    auto secret = load_secret(wsse ? destination.secret : destination.client_secret,
                              "destination '" + name + "' " + (wsse ? "secret" : "client secret"));
    if (!secret) {
      return secret.error();
    }
    auto wanted = client_config(destination, std::move(*secret));
    wipe(*secret);
    // An unchanged destination keeps its client: its token and rate limiter.
    if (auto old = m_resources.clients.find(name);
        old != m_resources.clients.end() && old->second->config() == wanted) {
      resources.clients[name] = old->second;
      wipe(wanted.secret);
      continue;
    }
    auto limiter = limiters.of(wanted.api_url, wanted.user);
    resources.clients[name] = std::make_shared<emarsys::Client>(
        m_io.get_executor(), std::move(wanted), std::move(limiter),
        m_metrics.add_destination(name, destination.rate_limit_per_minute), m_clock);
  }
  return resources;
}

Result<config::Config> Service::checked_config(const std::string& path) {
  auto config = config::load_config(path);
  if (!config) {
    return config.error();
  }
  auto activations = m_store->list_activations();
  if (!activations) {
    return activations.error();
  }
  std::vector<config::Activation> stored;
  for (const auto& record : *activations) {
    if (!record.definition) {
      spdlog::warn("reload: activation {} not checked: {}", record.name, record.definition_error);
      continue;
    }
    stored.push_back(*record.definition);
  }
  EMSYNC_TRY(check_reload(m_config, *config, path, stored));
  return config;
}

void Service::set_access_policy(admin::AccessPolicy policy) {
  const bool changed = policy.operators_group != m_access.operators_group ||
                       policy.operators_gid != m_access.operators_gid;
  if (auto warning = admin::policy_warning(policy); warning && changed) {
    spdlog::warn("{}", *warning);
  }
  m_access = std::move(policy);
}

Result<void> Service::start() {
  set_access_policy(admin::load_access_policy(m_config.admin.operators_group));
  m_server = std::make_unique<admin::Server>(
      m_io.get_executor(), m_config.admin_socket,
      [this](admin::Request request) { return handle(std::move(request)); }, admin::ServerLimits{},
      [this](const admin::Peer& peer) { return admin::is_operator(peer, m_access); });
  EMSYNC_TRY(m_server->start());
  EMSYNC_TRY(start_metrics_endpoint());
  asio::co_spawn(m_io, schedule_loop(), asio::detached);
  asio::co_spawn(m_io, auto_resume_loop(), asio::detached);
  asio::co_spawn(m_io, history_loop(), asio::detached);
  notify::ready(status_line());
  return ok();
}

void Service::stop(std::function<void()> on_stopped) {
  if (m_stopping) {
    return;
  }
  m_stopping = true;
  m_stop_previews = true;
  notify::stopping("stopping: " + std::to_string(m_runs.running_count()) + " run(s) to wind down");
  if (m_server) {
    m_server->stop();
  }
  // At once, so that no run starts from here on.
  std::vector<std::int64_t> withdrawn = m_runs.cancel_all();
  for (const Run* run : m_runs.running_runs()) {
    if (run->client) {
      run->client->stop_retrying();  // may predate a reload
    }
  }
  for (auto& [name, client] : m_resources.clients) {
    client->stop_retrying();
  }
  asio::co_spawn(m_io, drain_then(std::move(withdrawn), std::move(on_stopped)), asio::detached);
}

void Service::reload_in_background() {
  asio::co_spawn(
      m_io,
      [this]() -> asio::awaitable<void> {
        const UnixMillis at = m_clock.wall();
        auto reloaded = co_await reload();
        if (!reloaded) {
          spdlog::error("reload refused, the old config keeps running: {}",
                        reloaded.error().message);
        }
        // A signal has no peer credentials: the entry says SIGHUP instead.
        const admin::Request request{"reload"};
        const auto response = reloaded
                                  ? admin::Response::success("SIGHUP: " + *reloaded)
                                  : admin::Response::failure(to_string(reloaded.error().code),
                                                             "SIGHUP: " + reloaded.error().message);
        co_await record_audit(request, response, at);
      },
      asio::detached);
}

asio::awaitable<Result<std::string>> Service::reload() {
  if (m_stopping) {
    co_return make_error(Errc::cancelled, "the daemon is shutting down");
  }
  if (m_reloading) {
    co_return make_error(Errc::transient, "a reload is already in progress; try again");
  }
  m_reloading = true;
  notify::reloading();
  auto config = co_await on_pool(m_pool, [&] { return checked_config(m_config_path); });
  admin::AccessPolicy access;
  if (config) {  // the group lookup may ask a directory service (NSS): not on the loop
    access = co_await on_pool(
        m_pool, [&] { return admin::load_access_policy(config->admin.operators_group); });
  }
  // Clients are made on the event loop, which owns them.
  auto resources = config ? load_resources(*config) : Result<Resources>(config.error());
  m_reloading = false;
  m_metrics.record_reload(resources.has_value(), m_clock.wall());
  if (!resources) {
    notify::ready(status_line());
    co_return resources.error();
  }
  m_config = std::move(*config);
  m_resources = std::move(*resources);
  ++m_config_generation;
  m_config_loaded_at = m_clock.wall();
  spdlog::set_level(spdlog::level::from_str(m_config.log.level));
  set_access_policy(std::move(access));
  const ConcurrencyLimit concurrency =
      concurrency_after_reload(m_config.max_concurrent_runs, m_pool_threads - k_spare_pool_threads);
  if (concurrency.warning) {
    spdlog::warn("{}", *concurrency.warning);
  }
  start_runs(m_runs.set_max_concurrent(
      static_cast<std::size_t>(concurrency.max_concurrent_runs), m_clock.wall()));
  co_await refresh_plans();
  const std::string summary = "config generation " + std::to_string(m_config_generation) +
                              " loaded from " + m_config_path + ": " +
                              std::to_string(m_config.sources.size()) + " source(s), " +
                              std::to_string(m_config.destinations.size()) + " destination(s)";
  spdlog::info("{}", summary);
  notify::ready(status_line());
  co_return summary;
}

}  // namespace emsync::service
