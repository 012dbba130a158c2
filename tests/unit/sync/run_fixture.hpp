// Scaffolding for running sync::execute_run in process: a fake Emarsys
// account behind ContactApi, the state store on a temporary SQLite file
// (with a switch that makes its batch commits fail), the model in a
// temporary SQLite database, a real thread pool and io_context
// (fake_emarsys.hpp, commit_failing_store.hpp).
//
//   RunFixture run;
//   run.add_people(3);                      // person0001@example.com, ...
//   auto first = run.run();                 // the whole run, to its outcome
//   REQUIRE(first.status == store::RunStatus::succeeded);
//   CHECK(run.emarsys.requests.size() == 1);
//   CHECK(run.stored_contacts() == 3);
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commit_failing_store.hpp"
#include "config/activation.hpp"
#include "fake_emarsys.hpp"
#include "source/row_source.hpp"
#include "store/state_store.hpp"
#include "sync/explain.hpp"
#include "sync/preflight.hpp"
#include "sync/run.hpp"

namespace emsync::sync::test {

// One activation ("crm": email, first_name -> field 1, city -> field 4,
// insert_new_contacts) over a temporary model database and state DB; run()
// runs it as the daemon does (a run record, execute_run, its finish).
class RunFixture {
 public:
  RunFixture() {
    std::string dir = (std::filesystem::temp_directory_path() / "emsync-run-XXXXXX").string();
    REQUIRE(::mkdtemp(dir.data()) != nullptr);
    m_dir = dir;
    REQUIRE(sqlite3_open((m_dir / "model.db").c_str(), &m_model) == SQLITE_OK);
    exec("CREATE TABLE people (email TEXT, first_name TEXT, city TEXT)");
    m_source = source::make_sqlite_source((m_dir / "model.db").string());
    auto opened = store::open_state_store((m_dir / "state.db").string());
    REQUIRE(opened);
    store = std::make_unique<CommitFailingStore>(std::move(*opened));
    activation.name = "crm";
    activation.source = "model";
    activation.destination = "emarsys";
    activation.query = "SELECT email, first_name, city FROM people ORDER BY rowid";
    activation.fields = {{"first_name", std::int64_t{1}}, {"city", std::string("city")}};
    activation.insert_new_contacts = true;
    REQUIRE(store->apply_activations({activation}));
    auto record = store->find_activation(activation.name);
    REQUIRE((record && *record));
    activation_id = (*record)->id;
  }
  ~RunFixture() {
    sqlite3_close(m_model);
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }
  RunFixture(const RunFixture&) = delete;
  RunFixture& operator=(const RunFixture&) = delete;

  static std::string email(int n) {
    char text[32];
    std::snprintf(text, sizeof text, "person%04d@example.com", n);
    return text;
  }

  // Rows person<first>..person<first + count - 1> (email(n)), first_name
  // "Name <n>", city "Paris".
  void add_people(int count, int first = 1) {
    exec("WITH RECURSIVE n(i) AS (SELECT " + std::to_string(first) +
         " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(first + count - 1) +
         ") INSERT INTO people SELECT printf('person%04d@example.com', i), 'Name ' || i, "
         "'Paris' FROM n");
  }

  void exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(m_model, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
  }

  // One run, recorded in the store as the daemon records it.
  RunOutcome run(Scope scope = Scope::changes, SafetyValve valve = SafetyValve::enforce) {
    auto run_id = store->create_run(activation_id, scope == Scope::full, now_millis());
    REQUIRE(run_id);
    REQUIRE(store->start_run(*run_id, now_millis()));
    last_run_id = *run_id;
    const RunRequest request{.run_id = *run_id,
                             .activation_id = activation_id,
                             .activation = activation,
                             .scope = scope,
                             .safety_valve = valve};
    const RunEnvironment env{.resources = resources(), .control = {.cancel_requested = &cancel}};
    const RunOutcome outcome = complete(execute_run(request, env));
    INFO("run " << *run_id << ": " << outcome.error.value_or("no error"));
    REQUIRE(store->set_run_warnings(*run_id, outcome.warnings));
    REQUIRE(
        store->finish_run(*run_id, outcome.status, outcome.counts, now_millis(), outcome.error));
    return outcome;
  }

  // One contact's story (sync::explain_contact), the config's
  // park_after_rejections and rejected_row_keys as given.
  Result<ContactStory> explain(const std::string& email, int park_after = 0,
                               bool hash_row_keys = false) {
    const ExplainRequest request{.activation_id = activation_id,
                                 .activation = activation,
                                 .email = email,
                                 .hash_row_keys = hash_row_keys,
                                 .park_after = park_after};
    const RunResources explained = resources();
    return complete(explain_contact(request, explained));
  }

  // A preview of the next run (sync::preview_run), showing `sample_limit` contacts.
  Result<RunPreview> preview(int sample_limit = 10, Scope scope = Scope::changes) {
    const RunRequest request{.activation_id = activation_id, .activation = activation,
                             .scope = scope};
    const RunEnvironment env{.resources = resources(), .control = {.cancel_requested = &cancel}};
    return complete(preview_run(request, env, sample_limit));
  }

  // The auto-resume check of the activation (sync::preflight).
  Result<void> check() {
    const RunRequest request{.activation_id = activation_id, .activation = activation};
    const RunResources checked = resources();
    return complete(preflight(request, checked));
  }

  // apply's check of the activation (sync::check_activation): its warnings.
  Result<std::vector<std::string>> check_for_apply() {
    const RunRequest request{.activation_id = activation_id, .activation = activation};
    const RunResources checked = resources();
    return complete(check_activation(request, checked));
  }

  std::int64_t stored_contacts() {
    auto count = store->count_contacts(activation_id);
    REQUIRE(count);
    return *count;
  }

  bool stored(const std::string& email) {
    auto states = store->load_contacts(activation_id, {email});
    REQUIRE(states);
    return states->at(0).has_value();
  }

  // Reads the model database through another source from now on.
  void use_source(std::unique_ptr<source::RowSource> other) { m_source = std::move(other); }
  std::string model_path() const { return (m_dir / "model.db").string(); }
  std::string state_path() const { return (m_dir / "state.db").string(); }
  // Closes the state DB and opens it again, as a restart of the daemon does
  // (after another program changed it, say).
  void reopen_store() {
    store.reset();
    auto opened = store::open_state_store(state_path());
    REQUIRE(opened);
    store = std::make_unique<CommitFailingStore>(std::move(*opened));
  }

  // The number `sql` (SELECT count(*) ...) answers, read from the state DB.
  std::int64_t state_count(const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((m_dir / "state.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    const std::int64_t count = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
  }

  // The last run's rows of `kind` (rejected, failed, not_found).
  std::vector<store::Rejection> rejections_of_last_run(
      store::RowKind kind = store::RowKind::rejected) {
    auto page = store->list_rejections(activation_id, last_run_id, kind, 0, 1000);
    REQUIRE(page);
    return page->rejections;
  }

  FakeEmarsys emarsys;
  std::unique_ptr<CommitFailingStore> store;
  config::Activation activation;
  std::int64_t activation_id = 0;
  std::int64_t last_run_id = 0;
  std::atomic<bool> cancel{false};

 private:
  RunResources resources() {
    return {.pool = m_pool,
            .store = *store,
            .model = {.rows = *m_source},
            .destination = {.api = emarsys, .new_contacts_list_id = k_new_contacts_list},
            .spool_dir = m_dir.string()};
  }

  // Runs `task` on the fixture's io_context until it completes.
  template <class T>
  T complete(boost::asio::awaitable<T> task) {
    std::optional<T> out;
    boost::asio::co_spawn(
        m_io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
        [](std::exception_ptr error) {
          if (error) {
            std::rethrow_exception(error);
          }
        });
    m_io.run();
    m_io.restart();
    REQUIRE(out);
    return std::move(*out);
  }

  std::filesystem::path m_dir;
  sqlite3* m_model = nullptr;
  std::unique_ptr<source::RowSource> m_source;
  boost::asio::thread_pool m_pool{2};
  boost::asio::io_context m_io;
};

}  // namespace emsync::sync::test
