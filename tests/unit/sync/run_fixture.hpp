// Scaffolding for running sync::execute_run in process: a fake Emarsys
// account behind ContactApi, the state store on a temporary SQLite file
// (with a switch that makes its batch commits fail), the model in a
// temporary SQLite database, a real thread pool and io_context.
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

#include "config/activation.hpp"
#include "emarsys/contact_api.hpp"
#include "source/row_source.hpp"
#include "store/state_store.hpp"
#include "sync/preflight.hpp"
#include "sync/run.hpp"

namespace emsync::sync::test {

using nlohmann::json;

// The list the activation's created contacts join (new_contacts_list_id).
inline constexpr std::int64_t k_new_contacts_list = 77;

// An Emarsys account in memory: it holds contacts by email, answers writes
// as Emarsys does (2008 for an update of an unknown contact, 2009 for a
// create of a known one) and records every contact write.
class FakeEmarsys final : public emarsys::ContactApi {
 public:
  struct Request {
    std::string method;                   // "PUT" (update) or "POST" (create)
    std::vector<json> contacts;           // as sent, keyed by field id ("3": the email)
    std::optional<std::int64_t> list_id;  // contact_list_id of a create

    std::set<std::string> emails() const {
      std::set<std::string> out;
      for (const auto& contact : contacts) {
        out.insert(contact.at("3").get<std::string>());
      }
      return out;
    }
  };

  // -- how it answers (set by the test) --
  std::vector<emarsys::Field> fields{{1, "First Name", "", "shorttext"},
                                     {3, "E-Mail", "", "longtext"},
                                     {4, "City", "city", "shorttext"}};
  std::vector<emarsys::ContactList> contact_lists{{k_new_contacts_list, "new contacts"}};
  std::map<std::string, std::string> rejects;  // email -> replyCode of its error on every write
  std::set<std::string> malformed;             // a write holding one is refused whole: HTTP 400
  int transient_failures = 0;                  // the next writes that fail with HTTP 503
  std::function<void(const Request&)> after_write;  // called once a write was answered

  // -- what it saw and holds --
  std::vector<Request> requests;                        // every contact write, in order
  std::map<std::string, json> account;                  // the contacts Emarsys holds, by email
  std::map<std::int64_t, std::set<std::string>> lists;  // created contacts by list id

  emarsys::Task<std::vector<emarsys::Field>> list_fields(emarsys::RequestStats*) override {
    co_return fields;
  }
  emarsys::Task<std::int64_t> create_field(const std::string& name, const std::string& type,
                                           emarsys::RequestStats*) override {
    const std::int64_t id = fields.back().id + 1;
    fields.push_back({id, name, "", type});
    co_return id;
  }
  emarsys::Task<std::vector<emarsys::ContactList>> list_contact_lists(
      emarsys::RequestStats*) override {
    co_return contact_lists;
  }
  emarsys::Task<emarsys::ContactsResult> update_contacts(
      const std::vector<std::string_view>& contacts, emarsys::RequestStats*) override {
    co_return write({"PUT", parse(contacts), std::nullopt});
  }
  emarsys::Task<emarsys::ContactsResult> create_contacts(
      const std::vector<std::string_view>& contacts, std::optional<std::int64_t> list_id,
      emarsys::RequestStats*) override {
    co_return write({"POST", parse(contacts), list_id});
  }
  int concurrent_requests() const override { return 1; }  // batches settle one by one

  // The emails of every write, in order, each write's as a set.
  std::vector<std::set<std::string>> written() const {
    std::vector<std::set<std::string>> out;
    for (const auto& request : requests) {
      out.push_back(request.emails());
    }
    return out;
  }

 private:
  static std::vector<json> parse(const std::vector<std::string_view>& contacts) {
    std::vector<json> out;
    for (const auto contact : contacts) {
      out.push_back(json::parse(contact));
    }
    return out;
  }

  Result<emarsys::ContactsResult> write(Request request) {
    requests.push_back(std::move(request));
    auto result = answer(requests.back());
    if (after_write) {
      after_write(requests.back());
    }
    return result;
  }

  Result<emarsys::ContactsResult> answer(const Request& request) {
    if (transient_failures > 0) {
      --transient_failures;
      return Error{Errc::transient, "Emarsys answered HTTP 503", 503, 0};
    }
    for (const auto& email : request.emails()) {
      if (malformed.contains(email)) {
        return Error{Errc::rejected, "Emarsys answered HTTP 400: invalid contact data", 400, 0};
      }
    }
    const bool create = request.method == "POST";
    emarsys::ContactsResult result;
    for (const auto& contact : request.contacts) {
      const std::string email = contact.at("3").get<std::string>();
      if (auto reject = rejects.find(email); reject != rejects.end()) {
        result.errors.push_back({email, reject->second, "refused by the test"});
      } else if (account.contains(email) == create) {
        result.errors.push_back({email, create ? "2009" : "2008",
                                 create ? "Contact already exists" : "No contact found"});
      } else {
        account[email].update(contact);
        if (create && request.list_id) {
          lists[*request.list_id].insert(email);
        }
      }
    }
    return result;
  }
};

// The state store, passed through, whose commit_contacts() fails while
// `fail_commits` is set (a disk that filled up between send and commit).
class CommitFailingStore final : public store::StateStore {
 public:
  explicit CommitFailingStore(std::unique_ptr<store::StateStore> inner)
      : m_inner(std::move(inner)) {}

  std::atomic<bool> fail_commits{false};

  Result<void> commit_contacts(std::int64_t activation_id,
                               const std::vector<store::ContactUpdate>& contacts) override {
    if (fail_commits) {
      return make_error(Errc::state_error, "state DB commit failed: disk I/O error (test)");
    }
    return m_inner->commit_contacts(activation_id, contacts);
  }

  // Everything else as the store does it.
  Result<void> apply_activations(const std::vector<config::Activation>& a) override {
    return m_inner->apply_activations(a);
  }
  Result<std::vector<store::ActivationRecord>> list_activations() override {
    return m_inner->list_activations();
  }
  Result<std::optional<store::ActivationRecord>> find_activation(const std::string& n) override {
    return m_inner->find_activation(n);
  }
  Result<bool> delete_activation(const std::string& n) override {
    return m_inner->delete_activation(n);
  }
  Result<bool> set_paused(const std::string& n, bool p) override {
    return m_inner->set_paused(n, p);
  }
  Result<int> record_run_health(const std::string& n, bool attention) override {
    return m_inner->record_run_health(n, attention);
  }
  Result<void> set_auto_paused(const std::string& n,
                               const std::optional<std::string>& reason) override {
    return m_inner->set_auto_paused(n, reason);
  }
  Result<std::int64_t> create_run(std::int64_t id, bool full, UnixMillis at) override {
    return m_inner->create_run(id, full, at);
  }
  Result<void> start_run(std::int64_t run, UnixMillis at) override {
    return m_inner->start_run(run, at);
  }
  Result<void> update_run_counts(std::int64_t run, const store::RunCounts& c) override {
    return m_inner->update_run_counts(run, c);
  }
  Result<void> finish_run(std::int64_t run, store::RunStatus s, const store::RunCounts& c,
                          UnixMillis at, const std::optional<std::string>& error) override {
    return m_inner->finish_run(run, s, c, at, error);
  }
  Result<std::vector<store::RunRecord>> list_runs(std::int64_t id, int limit) override {
    return m_inner->list_runs(id, limit);
  }
  Result<std::optional<store::RunRecord>> find_run(std::int64_t run) override {
    return m_inner->find_run(run);
  }
  Result<int> mark_unfinished_runs_interrupted(UnixMillis now) override {
    return m_inner->mark_unfinished_runs_interrupted(now);
  }
  Result<store::PrunedRuns> prune_runs(UnixMillis before, int runs, std::int64_t rows) override {
    return m_inner->prune_runs(before, runs, rows);
  }
  Result<std::vector<std::optional<store::ContactState>>> load_contacts(
      std::int64_t id, const std::vector<std::string>& emails) override {
    return m_inner->load_contacts(id, emails);
  }
  Result<std::vector<store::ContactDigest>> load_contact_digests(std::int64_t id,
                                                                 std::size_t expected) override {
    return m_inner->load_contact_digests(id, expected);
  }
  Result<std::int64_t> drop_contacts(std::int64_t id,
                                     const std::vector<std::uint64_t>& hashes) override {
    return m_inner->drop_contacts(id, hashes);
  }
  Result<std::int64_t> count_contacts(std::int64_t id) override {
    return m_inner->count_contacts(id);
  }
  Result<void> add_rejections(std::int64_t id, const std::vector<store::Rejection>& r) override {
    return m_inner->add_rejections(id, r);
  }
  Result<store::RejectionPage> list_rejections(std::int64_t id, std::optional<std::int64_t> run,
                                               std::int64_t offset, int limit) override {
    return m_inner->list_rejections(id, run, offset, limit);
  }
  Result<void> record_rejections(std::int64_t id,
                                 const std::vector<store::ContactRejection>& r) override {
    return m_inner->record_rejections(id, r);
  }
  Result<std::vector<store::RejectionStreak>> list_parked(std::int64_t id, int streak) override {
    return m_inner->list_parked(id, streak);
  }
  Result<std::int64_t> clear_rejection_streaks(std::int64_t id) override {
    return m_inner->clear_rejection_streaks(id);
  }
  Result<void> add_audit_entry(const store::AuditEntry& entry) override {
    return m_inner->add_audit_entry(entry);
  }
  Result<std::vector<store::AuditEntry>> list_audit_entries(int limit) override {
    return m_inner->list_audit_entries(limit);
  }

 private:
  std::unique_ptr<store::StateStore> m_inner;
};

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

  // Rows person0001..person<count> (email(n)), first_name "Name <n>", city "Paris".
  void add_people(int count) {
    exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(count) +
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
  RunOutcome run(Scope scope = Scope::changes) {
    auto run_id = store->create_run(activation_id, scope == Scope::full, now_millis());
    REQUIRE(run_id);
    REQUIRE(store->start_run(*run_id, now_millis()));
    last_run_id = *run_id;
    const RunRequest request{.run_id = *run_id,
                             .activation_id = activation_id,
                             .activation = activation,
                             .scope = scope};
    const RunEnvironment env{.resources = resources(), .control = {.cancel_requested = &cancel}};
    const RunOutcome outcome = complete(execute_run(request, env));
    INFO("run " << *run_id << ": " << outcome.error.value_or("no error"));
    REQUIRE(
        store->finish_run(*run_id, outcome.status, outcome.counts, now_millis(), outcome.error));
    return outcome;
  }

  // The auto-resume check of the activation (sync::preflight).
  Result<void> check() {
    const RunRequest request{.activation_id = activation_id, .activation = activation};
    const RunResources checked = resources();
    return complete(preflight(request, checked));
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

  std::vector<store::Rejection> rejections_of_last_run() {
    auto page = store->list_rejections(activation_id, last_run_id, 0, 1000);
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
