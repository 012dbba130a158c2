#include "service/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "core/blocking.hpp"
#include "source/row_source.hpp"
#include "sync/run.hpp"

namespace emsync::service {

namespace asio = boost::asio;

namespace {

emarsys::ClientConfig client_config(const config::DestinationConfig& d, std::string secret) {
  emarsys::ClientConfig c;
  c.api_url = d.api_url;
  c.auth = d.auth == config::AuthKind::wsse ? emarsys::AuthKind::wsse : emarsys::AuthKind::oauth2;
  c.user = d.auth == config::AuthKind::wsse ? d.username : d.client_id;
  c.secret = std::move(secret);
  c.token_url = d.token_url;
  c.ca_file = d.ca_file;
  c.rate_limit_per_minute = d.rate_limit_per_minute;
  return c;
}

std::unique_ptr<source::RowSource> make_source(const config::SourceConfig& source,
                                               const std::optional<std::string>& password) {
  if (source.type == config::SourceType::postgres) {
    return source::make_postgres_source(source.conninfo, password);
  }
  return source::make_sqlite_source(source.path);
}

}  // namespace

Service::Service(asio::io_context& io, config::Config config, FileLock lock,
                 std::unique_ptr<store::StateStore> store)
    : m_io(io), m_config(std::move(config)), m_lock(std::move(lock)), m_store(std::move(store)) {}

Service::~Service() { m_pool.join(); }

Result<std::unique_ptr<Service>> Service::create(asio::io_context& io, config::Config config) {
  auto lock = FileLock::acquire(config.state_db + ".lock", "the state DB " + config.state_db);
  if (!lock) {
    return lock.error();
  }
  auto store = store::open_state_store(config.state_db);
  if (!store) {
    return store.error();
  }
  auto interrupted = (*store)->mark_unfinished_runs_interrupted(now_millis());
  if (!interrupted) {
    return interrupted.error();
  }
  if (*interrupted > 0) {
    spdlog::warn("{} run(s) left unfinished by the previous daemon were marked interrupted",
                 *interrupted);
  }
  std::unique_ptr<Service> service(
      new Service(io, std::move(config), std::move(*lock), std::move(*store)));
  EMSYNC_TRY(service->load_secrets());
  const auto db_dir = std::filesystem::absolute(service->m_config.state_db).parent_path();
  service->m_spool_dir = (db_dir / "spool").string();
  std::error_code ec;
  std::filesystem::create_directories(service->m_spool_dir, ec);
  if (ec) {
    return make_error(Errc::io_error, "cannot create the spool directory " +
                                          service->m_spool_dir + ": " + ec.message());
  }
  return service;
}

Result<void> Service::load_secrets() {
  for (const auto& [name, source] : m_config.sources) {
    std::optional<std::string> password;
    if (source.password) {
      auto secret = load_secret(*source.password, "source '" + name + "' password");
      if (!secret) {
        return secret.error();
      }
      password = std::move(*secret);
    }
    m_source_passwords[name] = std::move(password);
  }
  for (const auto& [name, destination] : m_config.destinations) {
    const bool wsse = destination.auth == config::AuthKind::wsse;
    auto secret = load_secret(wsse ? destination.secret : destination.client_secret,
                              "destination '" + name + "' " + (wsse ? "secret" : "client secret"));
    if (!secret) {
      return secret.error();
    }
    m_clients[name] = std::make_unique<emarsys::Client>(
        m_io.get_executor(), client_config(destination, std::move(*secret)));
  }
  return ok();
}

Result<void> Service::start() {
  m_server = std::make_unique<admin::Server>(
      m_io.get_executor(), m_config.admin_socket,
      [this](admin::Request request) { return handle(std::move(request)); });
  EMSYNC_TRY(m_server->start());
  asio::co_spawn(m_io, schedule_loop(), asio::detached);
  return ok();
}

asio::awaitable<void> Service::refresh_plans() {
  auto activations = co_await on_pool(m_pool, [&] { return m_store->list_activations(); });
  if (!activations) {
    spdlog::error("cannot read the activations' schedules: {}", activations.error().message);
    co_return;
  }
  std::map<std::string, Plan> plans;
  for (const auto& record : *activations) {
    auto definition = config::parse_activations(record.definition);
    auto parsed = definition ? schedule::parse_schedule(definition->front().schedule,
                                                        definition->front().timezone)
                             : Result<schedule::Schedule>(definition.error());
    if (!parsed || parsed->kind == schedule::Kind::manual || record.paused) {
      continue;
    }
    auto runs = co_await on_pool(m_pool, [&] { return m_store->list_runs(record.id, 1); });
    std::optional<UnixMillis> last_start;
    if (runs && !runs->empty()) {
      last_start = runs->front().started_at;
    }
    plans.emplace(record.name, Plan{record, std::move(*parsed), last_start});
  }
  m_plans = std::move(plans);
}

asio::awaitable<void> Service::schedule_loop() {
  using namespace std::chrono;
  co_await refresh_plans();
  asio::steady_timer timer(m_io);
  while (!m_stopping) {
    const UnixMillis now_ms = now_millis();
    const schedule::TimePoint now{duration_cast<seconds>(milliseconds(now_ms))};
    for (auto& [name, plan] : m_plans) {
      if (state_of(name) != "idle") {
        continue;  // due while running: the next tick after the run sees it
      }
      std::optional<schedule::TimePoint> last;
      if (plan.last_start) {
        last = schedule::TimePoint{duration_cast<seconds>(milliseconds(*plan.last_start))};
      }
      const auto due = schedule::next_run(plan.schedule, last, now);
      if (due && *due <= now) {
        plan.last_start = now_ms;
        spdlog::info("activation {} is due ({})", name, plan.schedule.text);
        auto ticket = co_await request_run(plan.activation, false);
        if (!ticket) {
          spdlog::warn("activation {}: scheduled run not started: {}", name,
                       ticket.error().message);
        }
        break;  // m_plans may have changed while awaiting
      }
    }
    timer.expires_after(seconds(1));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void Service::stop(std::function<void()> on_stopped) {
  m_stopping = true;
  if (m_server) {
    m_server->stop();
  }
  for (auto& [name, slot] : m_slots) {
    slot.cancel->store(true);
  }
  asio::co_spawn(
      m_io,
      [this, on_stopped = std::move(on_stopped)]() -> asio::awaitable<void> {
        asio::steady_timer timer(m_io);
        while (std::any_of(m_slots.begin(), m_slots.end(),
                           [](const auto& s) { return s.second.running; })) {
          timer.expires_after(std::chrono::milliseconds(50));
          co_await timer.async_wait(asio::use_awaitable);
        }
        on_stopped();
      },
      asio::detached);
}

std::string Service::state_of(const std::string& name) const {
  auto it = m_slots.find(name);
  if (it == m_slots.end() || !it->second.running) {
    return "idle";
  }
  return "running";
}

asio::awaitable<Result<Service::RunTicket>> Service::request_run(
    const store::ActivationRecord& activation, bool full) {
  if (m_stopping) {
    co_return make_error(Errc::cancelled, "the daemon is shutting down; no new run is started");
  }
  Slot& slot = m_slots[activation.name];
  if (slot.running && slot.queued_run) {
    co_return RunTicket{*slot.queued_run, true};
  }
  auto run_id = co_await on_pool(
      m_pool, [&] { return m_store->create_run(activation.id, full, now_millis()); });
  if (!run_id) {
    co_return run_id.error();
  }
  Slot& current = m_slots[activation.name];  // the map may have changed while awaiting
  if (current.running) {
    current.queued_run = *run_id;
    co_return RunTicket{*run_id, true};
  }
  current.running = true;
  current.cancel->store(false);
  asio::co_spawn(m_io, run_activation(activation.name, *run_id), asio::detached);
  co_return RunTicket{*run_id, false};
}

asio::awaitable<void> Service::run_activation(std::string name, std::int64_t run_id) {
  for (;;) {
    auto cancel = m_slots[name].cancel;
    std::optional<std::string> internal_error;
    try {
      co_await run_one(name, run_id, *cancel);
    } catch (const std::exception& e) {
      // A bug must not take the daemon down with every other activation.
      internal_error = std::string("internal error (please report): ") + e.what();
      spdlog::error("run {} of activation {}: {}", run_id, name, *internal_error);
    }
    if (internal_error) {
      (void)co_await on_pool(m_pool, [&] {
        return m_store->finish_run(run_id, store::RunStatus::failed, {}, now_millis(),
                                   internal_error);
      });
    }
    auto [first, last] = m_waiters.equal_range(run_id);
    for (auto it = first; it != last; ++it) {
      it->second->cancel();
    }
    m_waiters.erase(first, last);
    Slot& slot = m_slots[name];
    if (!slot.queued_run || m_stopping) {
      slot.running = false;
      co_return;
    }
    run_id = *slot.queued_run;
    slot.queued_run.reset();
  }
}

asio::awaitable<void> Service::run_one(const std::string& name, std::int64_t run_id,
                                       const std::atomic<bool>& cancel) {
  auto fail = [&](const std::string& error) {
    return on_pool(m_pool, [&, error] {
      return m_store->finish_run(run_id, store::RunStatus::failed, {}, now_millis(), error);
    });
  };
  auto record = co_await on_pool(m_pool, [&] { return m_store->find_run(run_id); });
  auto activation = co_await on_pool(m_pool, [&] { return m_store->find_activation(name); });
  if (!record || !*record || !activation || !*activation) {
    (void)co_await fail("activation '" + name + "' or its run disappeared before it started");
    co_return;
  }
  auto definition = config::parse_activations((*activation)->definition);
  if (!definition) {
    (void)co_await fail(definition.error().message);
    co_return;
  }
  sync::RunRequest request{run_id, (*activation)->id, definition->front(), (*record)->full};
  if (auto checked = config::check_references(request.activation, m_config); !checked) {
    (void)co_await fail(checked.error().message);
    co_return;
  }
  const auto& source_config = m_config.sources.at(request.activation.source);
  const auto& destination = m_config.destinations.at(request.activation.destination);
  auto source = make_source(source_config, m_source_passwords[request.activation.source]);
  sync::RunEnvironment env{m_pool,
                           *m_store,
                           *m_clients.at(request.activation.destination),
                           *source,
                           {source_config.statement_timeout},
                           destination.new_contacts_list_id,
                           m_spool_dir,
                           &cancel};
  const UnixMillis started_at = now_millis();
  (void)co_await on_pool(m_pool, [&] { return m_store->start_run(run_id, started_at); });
  if (auto plan = m_plans.find(name); plan != m_plans.end()) {
    plan->second.last_start = started_at;  // intervals count from the latest start
  }
  spdlog::info("run {} of activation {} started{}", run_id, name, request.full ? " (full)" : "");
  const sync::RunOutcome outcome = co_await sync::execute_run(request, env);
  auto finished = co_await on_pool(m_pool, [&] {
    return m_store->finish_run(run_id, outcome.status, outcome.counts, now_millis(), outcome.error);
  });
  const auto& c = outcome.counts;
  spdlog::info(
      "run_finished run_id={} activation={} status={} rows_read={} unchanged={} updated={} "
      "inserted={} not_found={} rejected={} failed={} error={}",
      run_id, name, store::to_string(outcome.status), c.rows_read, c.unchanged, c.updated,
      c.inserted, c.not_found, c.rejected, c.failed, outcome.error.value_or("none"));
  if (!finished) {
    spdlog::error("run {}: could not record its result: {}", run_id, finished.error().message);
  }
}

asio::awaitable<Result<store::RunRecord>> Service::wait_for_run(std::int64_t run_id) {
  for (;;) {
    // Register before looking, so a run that ends meanwhile still wakes us.
    auto timer = std::make_shared<asio::steady_timer>(m_io, asio::steady_timer::time_point::max());
    m_waiters.emplace(run_id, timer);
    auto record = co_await on_pool(m_pool, [&] { return m_store->find_run(run_id); });
    const bool done = !record || !*record ||
                      ((*record)->status != store::RunStatus::queued &&
                       (*record)->status != store::RunStatus::running);
    if (done) {
      std::erase_if(m_waiters, [&](const auto& entry) { return entry.second == timer; });
      if (!record) {
        co_return record.error();
      }
      if (!*record) {
        co_return make_error(Errc::not_found, "run " + std::to_string(run_id) + " does not exist");
      }
      co_return std::move(**record);
    }
    boost::system::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace emsync::service
