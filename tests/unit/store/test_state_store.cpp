#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "activation.hpp"
#include "core/hash.hpp"
#include "store/sqlite.hpp"
#include "store/state_store.hpp"
#include "temp_db.hpp"

namespace emsync::store {
namespace {

// One contact's stored state, through the batch lookup.
emsync::Result<std::optional<ContactState>> load_one(StateStore& store, std::int64_t activation,
                                                     const std::string& email) {
  auto states = store.load_contacts(activation, {email});
  if (!states) {
    return states.error();
  }
  return std::move(states->front());
}

// A store on a fresh file with one activation, "crm", sending to "emarsys".
struct Fixture {
  test::TempDb temp;
  std::unique_ptr<StateStore> store = open_state_store(temp.path()).value();
  std::int64_t crm = add("crm");

  std::int64_t add(const std::string& name) {
    REQUIRE(store->apply_activations({test::activation(name)}));
    return store->find_activation(name).value()->id;
  }
};

ContactState state(std::uint64_t contact_hash, std::vector<FieldHash> fields) {
  return ContactState{contact_hash, std::move(fields)};
}

ReadState read_state(std::string cursor_type, std::optional<std::string> watermark = std::nullopt,
                     std::optional<UnixMillis> last_full_read_at = std::nullopt,
                     std::uint64_t fingerprint = 0) {
  return ReadState{std::move(cursor_type), std::move(watermark), last_full_read_at, fingerprint};
}

// A run of `activation` that finished at `finished_at` with `status` and
// `rejected` rejected rows (stored, and counted in its counters).
std::int64_t finished_run(StateStore& store, std::int64_t activation, RunStatus status,
                          UnixMillis finished_at, int rejected = 0) {
  const std::int64_t run = store.create_run(activation, false, finished_at - 10).value();
  REQUIRE(store.start_run(run, finished_at - 5));
  std::vector<Rejection> rejections;
  for (int i = 1; i <= rejected; ++i) {
    rejections.push_back({run, "row " + std::to_string(i), "invalid_email", "bad"});
  }
  REQUIRE(store.add_rejections(activation, rejections));
  RunCounts counts;
  counts.rows_read = counts.rejected = rejected;
  REQUIRE(store.finish_run(run, status, counts, finished_at, std::nullopt));
  return run;
}

// The first 1000 rows of a run, of every kind.
std::vector<Rejection> rejections_of(StateStore& store, std::int64_t activation,
                                     std::int64_t run) {
  return store.list_rejections(activation, run, std::nullopt, 0, 1000).value().rejections;
}

// The ids of the activation's runs, oldest first.
std::vector<std::int64_t> run_ids(StateStore& store, std::int64_t activation) {
  const std::vector<RunRecord> runs = store.list_runs(activation, 100).value();
  std::vector<std::int64_t> ids;
  for (const auto& run : runs) {
    ids.insert(ids.begin(), run.id);
  }
  return ids;
}

TEST_CASE("apply creates activations and updates the ones that changed", "[store]") {
  Fixture f;
  const ActivationRecord before = f.store->find_activation("crm").value().value();
  REQUIRE(before.definition);
  CHECK(before.definition->query == "SELECT 1");
  CHECK(before.created_at > 0);

  REQUIRE(f.store->apply_activations(
      {test::activation("crm", "emarsys", "SELECT 2"), test::activation("newsletter")}));
  const auto all = f.store->list_activations().value();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "crm");
  CHECK(all[0].id == before.id);
  REQUIRE(all[0].definition);
  CHECK(all[0].definition->query == "SELECT 2");
  CHECK(all[0].created_at == before.created_at);
  CHECK(all[0].updated_at >= before.updated_at);
  CHECK(all[1].name == "newsletter");
  CHECK_FALSE(f.store->find_activation("nope").value().has_value());
}

TEST_CASE("apply stores every activation or none", "[store]") {
  Fixture f;
  // The empty name violates a CHECK constraint after "b" was inserted.
  auto applied = f.store->apply_activations({test::activation("crm", "emarsys", "SELECT 2"),
                                             test::activation("b"), test::activation("")});
  REQUIRE_FALSE(applied);
  CHECK(applied.error().code == Errc::state_error);
  CHECK_THAT(applied.error().message, Catch::Contains("activation ''"));

  const auto all = f.store->list_activations().value();
  REQUIRE(all.size() == 1);
  REQUIRE(all[0].definition);
  CHECK(all[0].definition->query == "SELECT 1");
}

TEST_CASE("an applied activation reads back equal, stored as its canonical JSON", "[store]") {
  Fixture f;
  config::Activation full = test::activation("newsletter", "emarsys", "SELECT email, tier FROM c");
  full.fields = {{"first_name", std::int64_t{1}}, {"city", std::string("city")}};
  full.custom_attributes = {{"tier", std::nullopt}, {"note", "largetext"}};
  full.insert_new_contacts = true;
  full.schedule = "daily 07:00";
  full.timezone = "Europe/Paris";
  full.max_clear_percent = 25;
  REQUIRE(f.store->apply_activations({full}));

  const ActivationRecord stored = f.store->find_activation("newsletter").value().value();
  REQUIRE(stored.definition);
  CHECK(config::to_json(*stored.definition) == config::to_json(full));
  CHECK(stored.definition->custom_attributes.at(1).type == "largetext");
  CHECK(stored.definition->timezone == "Europe/Paris");
  CHECK(stored.definition->max_clear_percent == 25);
  CHECK(stored.stored_text == config::to_json(full).dump());
  CHECK(stored.destination == "emarsys");
  const auto all = f.store->list_activations().value();
  REQUIRE(all.size() == 2);
  REQUIRE(all[1].definition);
  CHECK(config::to_json(*all[1].definition) == config::to_json(full));
}

TEST_CASE("a stored definition that does not parse comes back with its error, not dropped",
          "[store]") {
  Fixture f;
  f.add("newsletter");
  // Written by a newer emsync, edited by hand, or naming another activation.
  const std::string newer =
      R"({"name":"crm","source":"w","destination":"emarsys","query":"SELECT 1","batch_hint":7})";
  const std::string other =
      R"({"name":"other","source":"w","destination":"emarsys","query":"SELECT 1"})";
  const std::string crm = config::to_json(test::activation("crm")).dump();
  const std::pair<std::string, std::string> corrupt[] = {
      {newer, "unknown key 'batch_hint'"},
      {"{\"name\":", "is not valid JSON"},
      {other, "it names activation 'other'"},
      {"[" + other + "," + crm + "]", "it holds 2 activations, not one"},
  };
  for (const auto& [text, problem] : corrupt) {
    CAPTURE(text);
    {
      auto db = Db::open(f.temp.path(), SQLITE_OPEN_READWRITE);
      REQUIRE(db);
      auto update = db->prepare("UPDATE activations SET definition = ?1 WHERE name = 'crm'");
      REQUIRE(update);
      update->bind_all(text);
      REQUIRE(update->run());
    }
    const auto all = f.store->list_activations().value();
    REQUIRE(all.size() == 2);
    const ActivationRecord& crm = all[0];
    CHECK(crm.name == "crm");
    CHECK(crm.id == f.crm);
    REQUIRE_FALSE(crm.definition);
    CHECK_THAT(crm.definition_error,
               Catch::Contains("stored definition of activation 'crm' is not valid") &&
                   Catch::Contains(problem) && Catch::Contains("apply the activation again"));
    CHECK(crm.stored_text == text);
    CHECK(all[1].definition);
    CHECK(all[1].definition_error.empty());
    const ActivationRecord found = f.store->find_activation("crm").value().value();
    CHECK_FALSE(found.definition);
    CHECK(found.stored_text == text);
  }

  // Applying it again repairs it.
  REQUIRE(f.store->apply_activations({test::activation("crm")}));
  const ActivationRecord repaired = f.store->find_activation("crm").value().value();
  REQUIRE(repaired.definition);
  CHECK(repaired.stored_text == crm);
}

TEST_CASE("changing an activation's destination drops its contact state", "[store]") {
  Fixture f;
  REQUIRE(f.store->commit_contacts(f.crm, {{"a@example.com", state(1, {})}}));
  REQUIRE(f.store->apply_activations({test::activation("crm")}));
  CHECK(f.store->count_contacts(f.crm).value() == 1);

  REQUIRE(f.store->apply_activations({test::activation("crm", "other")}));
  CHECK(f.store->find_activation("crm").value()->destination == "other");
  CHECK(f.store->count_contacts(f.crm).value() == 0);
}

TEST_CASE("a run goes from queued to running to finished with its counters", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, true, 1000).value();
  RunRecord queued = f.store->find_run(run).value().value();
  CHECK(queued.status == RunStatus::queued);
  CHECK(queued.activation == "crm");
  CHECK(queued.full);
  CHECK(queued.started_at == 1000);

  REQUIRE(f.store->start_run(run, 2000));
  REQUIRE(f.store->update_run_counts(run, RunCounts{5, 1, 1, 1, 1, 1, 0, 4}));
  CHECK(f.store->find_run(run).value()->counts.rows_read == 5);
  CHECK(f.store->find_run(run).value()->counts.cursor_null == 4);

  const RunCounts counts{10, 2, 3, 1, 1, 2, 1, 3};
  REQUIRE(f.store->finish_run(run, RunStatus::partial, counts, 3000, "2 rows rejected"));
  const RunRecord done = f.store->find_run(run).value().value();
  CHECK(done.status == RunStatus::partial);
  CHECK(done.started_at == 2000);
  CHECK(done.finished_at == 3000);
  CHECK(done.error == "2 rows rejected");
  CHECK(done.counts.rows_read == 10);
  CHECK(done.counts.unchanged == 2);
  CHECK(done.counts.updated == 3);
  CHECK(done.counts.inserted == 1);
  CHECK(done.counts.not_found == 1);
  CHECK(done.counts.rejected == 2);
  CHECK(done.counts.failed == 1);
  CHECK(done.counts.cursor_null == 3);
  CHECK(std::string(to_string(done.status)) == "partial");
}

TEST_CASE("a run keeps its warnings, none until set, each as written", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  CHECK(f.store->find_run(run).value()->warnings.empty());
  const std::vector<std::string> warnings{"4 of 100 rows read were rejected: 4 invalid_email",
                                          "a \"quoted\" one\nover two lines"};
  REQUIRE(f.store->set_run_warnings(run, warnings));
  REQUIRE(f.store->finish_run(run, RunStatus::succeeded, {}, 3000, std::nullopt));
  CHECK(f.store->find_run(run).value()->warnings == warnings);
  CHECK(f.store->list_runs(f.crm, 1).value().at(0).warnings == warnings);
  REQUIRE(f.store->set_run_warnings(run, {}));
  CHECK(f.store->find_run(run).value()->warnings.empty());
  CHECK_FALSE(f.store->set_run_warnings(run + 100, warnings));
}

TEST_CASE("a run reads full until told otherwise; set_run_read records its read", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  const RunRecord queued = f.store->find_run(run).value().value();
  CHECK(queued.read.kind == ReadKind::full);
  CHECK_FALSE(queued.read.watermark.has_value());
  CHECK_FALSE(queued.read.read_from.has_value());

  REQUIRE(f.store->start_run(run, 2000));
  REQUIRE(f.store->set_run_read(run, {.kind = ReadKind::incremental,
                                      .watermark = "2026-12-02 10:00:00.250000",
                                      .read_from = "2026-12-02 09:45:00.250000"}));
  REQUIRE(f.store->finish_run(run, RunStatus::succeeded, {}, 3000, std::nullopt));
  for (const RunRecord& read_back :
       {f.store->find_run(run).value().value(), f.store->list_runs(f.crm, 1).value().at(0)}) {
    CHECK(read_back.read.kind == ReadKind::incremental);
    CHECK(read_back.read.watermark == "2026-12-02 10:00:00.250000");
    CHECK(read_back.read.read_from == "2026-12-02 09:45:00.250000");
  }
  CHECK(std::string(to_string(ReadKind::incremental)) == "incremental");

  // Back to a full read: the watermark and bound are cleared.
  REQUIRE(f.store->set_run_read(run, {}));
  const RunRecord full = f.store->find_run(run).value().value();
  CHECK(full.read.kind == ReadKind::full);
  CHECK_FALSE(full.read.watermark.has_value());
  CHECK_FALSE(full.read.read_from.has_value());

  auto missing = f.store->set_run_read(run + 100, {});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains(std::to_string(run + 100)));
}

TEST_CASE("a read state round-trips, with a fingerprint that uses all 64 bits, and is replaced",
          "[store]") {
  Fixture f;
  const std::int64_t other = f.add("other");
  CHECK_FALSE(f.store->load_read_state(f.crm).value().has_value());

  ReadState first =
      read_state("timestamp", "2026-12-02 10:00:00", 1'764'000'000'000, 0xFEDCBA9876543210ULL);
  first.last_full_read_rows = 1'000'000;
  first.last_full_read_stored = 999'000;
  REQUIRE(f.store->save_read_state(f.crm, first));
  CHECK(f.store->load_read_state(f.crm).value() == first);
  CHECK_FALSE(f.store->load_read_state(other).value().has_value());

  const ReadState reset = read_state("integer", std::nullopt, std::nullopt, 1);
  REQUIRE(f.store->save_read_state(f.crm, reset));
  const ReadState loaded = f.store->load_read_state(f.crm).value().value();
  CHECK(loaded == reset);
  CHECK_FALSE(loaded.watermark.has_value());
  CHECK_FALSE(loaded.last_full_read_at.has_value());
}

TEST_CASE("a read state needs an existing activation and a known cursor type", "[store]") {
  Fixture f;
  CHECK_FALSE(f.store->save_read_state(f.crm + 100, read_state("integer")));
  auto bad_type = f.store->save_read_state(f.crm, read_state("text"));
  REQUIRE_FALSE(bad_type);
  CHECK_THAT(bad_type.error().message, Catch::Contains("cursor_type"));
  CHECK_FALSE(f.store->load_read_state(f.crm).value().has_value());
}

TEST_CASE("a destination change drops the read state with the contact state; other changes keep it",
          "[store]") {
  Fixture f;
  const std::int64_t other = f.add("other");
  const ReadState state_of_crm = read_state("date", "2026-12-02", std::nullopt, 7);
  REQUIRE(f.store->save_read_state(f.crm, state_of_crm));
  REQUIRE(f.store->save_read_state(other, state_of_crm));

  REQUIRE(f.store->apply_activations({test::activation("crm", "emarsys", "SELECT 2")}));
  CHECK(f.store->load_read_state(f.crm).value() == state_of_crm);

  REQUIRE(f.store->apply_activations({test::activation("crm", "elsewhere", "SELECT 2")}));
  CHECK_FALSE(f.store->load_read_state(f.crm).value().has_value());
  CHECK(f.store->load_read_state(other).value() == state_of_crm);
}

TEST_CASE("a run can start only once and update counters only while running", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  CHECK_FALSE(f.store->update_run_counts(run, {}));
  REQUIRE(f.store->start_run(run, 2000));
  auto again = f.store->start_run(run, 2500);
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error().message, Catch::Contains("not queued"));
  CHECK_FALSE(f.store->finish_run(run + 100, RunStatus::failed, {}, 3000, std::nullopt));
  CHECK_FALSE(f.store->find_run(run + 100).value().has_value());
}

TEST_CASE("runs are listed newest first, up to the limit", "[store]") {
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.store->create_run(f.crm, false, 1000 + i));
  }
  const auto runs = f.store->list_runs(f.crm, 2).value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].started_at == 1002);
  CHECK(runs[1].started_at == 1001);
}

TEST_CASE("runs left queued or running are marked interrupted", "[store]") {
  Fixture f;
  const std::int64_t queued = f.store->create_run(f.crm, false, 1000).value();
  const std::int64_t running = f.store->create_run(f.crm, false, 1000).value();
  const std::int64_t done = f.store->create_run(f.crm, false, 1000).value();
  REQUIRE(f.store->start_run(running, 1100));
  REQUIRE(f.store->start_run(done, 1100));
  REQUIRE(f.store->finish_run(done, RunStatus::succeeded, {}, 1200, std::nullopt));

  CHECK(f.store->mark_unfinished_runs_interrupted(5000).value() == 2);
  for (std::int64_t id : {queued, running}) {
    const RunRecord run = f.store->find_run(id).value().value();
    CHECK(run.status == RunStatus::interrupted);
    CHECK(run.finished_at == 5000);
  }
  CHECK(f.store->find_run(done).value()->status == RunStatus::succeeded);
}

TEST_CASE("contact state round-trips: the contact hash whole, field hashes' low 32 bits",
          "[store]") {
  Fixture f;
  const ContactState original =
      state(0xFEDCBA9876543210ULL, {{"first_name>1", 0x8000000000000001ULL}, {"tier", 0}, {"", 7}});
  REQUIRE(f.store->commit_contacts(f.crm, {{"a@example.com", original}}));

  // Fields come back sorted by key.
  const ContactState loaded = load_one(*f.store, f.crm, "a@example.com").value().value();
  CHECK(loaded.contact_hash == original.contact_hash);
  REQUIRE(loaded.fields.size() == 3);
  for (const auto& [i, j] : {std::pair{0, 2}, std::pair{1, 0}, std::pair{2, 1}}) {
    CHECK(loaded.fields[i].key == original.fields[j].key);
    CHECK(loaded.fields[i].hash == emsync::store::stored_field_hash(original.fields[j].hash));
  }
  CHECK(loaded.fields[1].hash == 1);  // 0x8000000000000001
  CHECK_FALSE(load_one(*f.store, f.crm, "b@example.com").value().has_value());
}

TEST_CASE("commit_contacts stores a batch and overwrites earlier state", "[store]") {
  Fixture f;
  std::vector<ContactUpdate> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back({"c" + std::to_string(i) + "@example.com", state(1, {{"f", 1}})});
  }
  REQUIRE(f.store->commit_contacts(f.crm, batch));
  REQUIRE(f.store->commit_contacts(f.crm, {{"c7@example.com", state(2, {})}}));

  CHECK(f.store->count_contacts(f.crm).value() == 1000);
  const ContactState c7 = load_one(*f.store, f.crm, "c7@example.com").value().value();
  CHECK(c7.contact_hash == 2);
  CHECK(c7.fields.empty());
}

TEST_CASE("contact digests list every stored contact by email hash; drop_contacts drops the given ones",
          "[store]") {
  Fixture f;
  const std::int64_t other = f.add("other");
  const std::vector<std::string> emails = {"a@x.com", "b@x.com", "c@x.com", "d@x.com"};
  for (std::size_t i = 0; i < emails.size(); ++i) {
    REQUIRE(f.store->commit_contacts(f.crm, {{emails[i], state(10 + i, {})}}));
    REQUIRE(f.store->commit_contacts(other, {{emails[i], state(1, {})}}));
  }
  const auto digests = f.store->load_contact_digests(f.crm).value();
  REQUIRE(digests.size() == 4);
  for (std::size_t i = 0; i < emails.size(); ++i) {
    const auto it = std::find_if(digests.begin(), digests.end(), [&](const ContactDigest& d) {
      return d.email_hash == hash64(emails[i]);
    });
    REQUIRE(it != digests.end());
    CHECK(it->contact_hash == 10 + i);
  }
  CHECK(std::is_sorted(digests.begin(), digests.end(),
                       [](const ContactDigest& a, const ContactDigest& b) {
                         return a.email_hash < b.email_hash;
                       }));

  CHECK(f.store->drop_contacts(f.crm, {hash64("c@x.com"), hash64("a@x.com"), hash64("z@x.com")})
            .value() == 2);
  CHECK(load_one(*f.store, f.crm, "b@x.com").value().has_value());
  CHECK(load_one(*f.store, f.crm, "d@x.com").value().has_value());
  CHECK_FALSE(load_one(*f.store, f.crm, "a@x.com").value().has_value());
  CHECK(f.store->count_contacts(other).value() == 4);
  CHECK(f.store->drop_contacts(f.crm, {}).value() == 0);
  CHECK(f.store->load_contact_digests(f.crm).value().size() == 2);
}

TEST_CASE("rejections are listed for a given run or for the latest run that has any", "[store]") {
  Fixture f;
  const std::int64_t first = f.store->create_run(f.crm, false, 1000).value();
  const std::int64_t second = f.store->create_run(f.crm, false, 2000).value();
  const std::int64_t third = f.store->create_run(f.crm, false, 3000).value();
  REQUIRE(f.store->add_rejections(
      f.crm, {{first, "row 1", "invalid_email", "email 'x' is not an address"}}));
  REQUIRE(
      f.store->add_rejections(f.crm, {{second, "a@x.com", "2007", "field 3: bad date"},
                                      {second, "b@x.com", "duplicate_email", "seen in row 2"}}));

  const auto latest = rejections_of(*f.store, f.crm, second);
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].run_id == second);
  CHECK(latest[0].row_key == "a@x.com");
  CHECK(latest[0].code == "2007");
  CHECK(latest[1].message == "seen in row 2");

  const auto of_first = rejections_of(*f.store, f.crm, first);
  REQUIRE(of_first.size() == 1);
  CHECK(of_first[0].code == "invalid_email");
  CHECK(rejections_of(*f.store, f.crm, third).empty());
}

TEST_CASE("rejections are listed in pages, with the run's total", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  std::vector<Rejection> rejections;
  for (int i = 1; i <= 5; ++i) {
    rejections.push_back({run, "row " + std::to_string(i), "invalid_email", "bad"});
  }
  REQUIRE(f.store->add_rejections(f.crm, rejections));

  const RejectionPage first = f.store->list_rejections(f.crm, run, std::nullopt, 0, 2).value();
  CHECK(first.total == 5);
  CHECK(first.not_kept == 0);
  REQUIRE(first.rejections.size() == 2);
  CHECK(first.rejections[0].row_key == "row 1");
  CHECK(first.rejections[1].row_key == "row 2");
  const RejectionPage last = f.store->list_rejections(f.crm, run, std::nullopt, 4, 2).value();
  REQUIRE(last.rejections.size() == 1);
  CHECK(last.rejections[0].row_key == "row 5");
  CHECK(last.total == 5);
  CHECK(f.store->list_rejections(f.crm, run, std::nullopt, 5, 2).value().rejections.empty());

  // Another activation's run has none of them.
  const std::int64_t news = f.add("news");
  const RejectionPage none = f.store->list_rejections(news, run, std::nullopt, 0, 2).value();
  CHECK(none.total == 0);
  CHECK(none.rejections.empty());
}

TEST_CASE("a run's failed and not found rows are kept with their kind, and listed by kind",
          "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  REQUIRE(f.store->add_rejections(
      f.crm, {{run, "row 1", "invalid_email", "bad", RowKind::rejected},
              {run, "a@x.com", "http_503", "Emarsys answered 503", RowKind::failed},
              {run, "b@x.com", "2008", "not known", RowKind::not_found},
              {run, "c@x.com", "http_503", "Emarsys answered 503", RowKind::failed}}));

  const auto all = rejections_of(*f.store, f.crm, run);
  REQUIRE(all.size() == 4);
  CHECK(all[1].kind == RowKind::failed);
  CHECK(all[2].kind == RowKind::not_found);

  const RejectionPage failed = f.store->list_rejections(f.crm, run, RowKind::failed, 1, 10).value();
  CHECK(failed.total == 2);
  REQUIRE(failed.rejections.size() == 1);
  CHECK(failed.rejections[0].row_key == "c@x.com");
  CHECK(failed.rejections[0].message == "Emarsys answered 503");
  const RejectionPage not_found =
      f.store->list_rejections(f.crm, run, RowKind::not_found, 0, 10).value();
  REQUIRE(not_found.rejections.size() == 1);
  CHECK(not_found.rejections[0].row_key == "b@x.com");
  CHECK(f.store->list_rejections(f.crm, run, RowKind::rejected, 0, 10).value().total == 1);

  CHECK(row_kind_from_string("not_found") == RowKind::not_found);
  CHECK_FALSE(row_kind_from_string("all").has_value());
}

TEST_CASE("a run keeps at most 10,000 rejections and counts the others exactly", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  const std::int64_t other = f.store->create_run(f.crm, false, 2000).value();
  // In chunks of 1000, as a run stores them, one chunk shared with another run.
  for (int chunk = 0; chunk < 10; ++chunk) {
    std::vector<Rejection> rejections;
    for (int i = 1; i <= 1000; ++i) {
      rejections.push_back(
          {run, "row " + std::to_string(chunk * 1000 + i), "invalid_email", "bad"});
    }
    REQUIRE(f.store->add_rejections(f.crm, rejections));
  }
  std::vector<Rejection> past_cap;
  for (int i = 1; i <= 50; ++i) {
    past_cap.push_back({run, "row " + std::to_string(10'000 + i), "invalid_email", "bad"});
    past_cap.push_back({other, "row " + std::to_string(i), "invalid_email", "bad"});
  }
  REQUIRE(f.store->add_rejections(f.crm, past_cap));

  const RejectionPage page = f.store->list_rejections(f.crm, run, std::nullopt, 9'999, 100).value();
  CHECK(page.total == 10'000);
  CHECK(page.not_kept == 50);
  REQUIRE(page.rejections.size() == 1);
  CHECK(page.rejections[0].row_key == "row 10000");  // the first 10,000 are kept
  const RejectionPage of_other = f.store->list_rejections(f.crm, other, std::nullopt, 0, 100).value();
  CHECK(of_other.total == 50);
  CHECK(of_other.not_kept == 0);

  // A later call counts on.
  REQUIRE(f.store->add_rejections(f.crm, {{run, "row 10051", "invalid_email", "bad"}}));
  CHECK(f.store->list_rejections(f.crm, run, std::nullopt, 0, 1).value().not_kept == 51);
}

TEST_CASE("a stored rejection quotes at most 256 bytes of its key and code, 1000 of its message",
          "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  const std::string huge(1 << 20, 'x');
  REQUIRE(f.store->add_rejections(f.crm, {{run, huge, huge, "email '" + huge + "' is bad"}}));
  const auto stored = rejections_of(*f.store, f.crm, run);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].row_key == std::string(256, 'x') + "\u2026(1048576 bytes)");
  CHECK(stored[0].code == stored[0].row_key);
  CHECK(stored[0].message == "email '" + std::string(993, 'x') + "\u2026(1048591 bytes)");
}

TEST_CASE("a rejection stored whole before schema 9 is listed cut", "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  {
    auto db = Db::open(f.temp.path(), SQLITE_OPEN_READWRITE).value();
    REQUIRE(db.exec("INSERT INTO rejections (activation_id, run_id, row_key, code, message) "
                    "VALUES (" + std::to_string(f.crm) + ", " + std::to_string(run) +
                    ", 'row 1', 'invalid_email', 'email ''a b' || hex(zeroblob(500000)) || "
                    "''' contains whitespace')"));
  }
  const auto listed = rejections_of(*f.store, f.crm, run);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].row_key == "row 1");
  CHECK(listed[0].message == "email 'a b" + std::string(1022, '0') + "\u2026(1000031 bytes)");
}

TEST_CASE("deleting an activation deletes its runs, contact state, read state and rejections",
          "[store]") {
  Fixture f;
  const std::int64_t run = f.store->create_run(f.crm, false, 1000).value();
  REQUIRE(f.store->commit_contacts(f.crm, {{"a@x.com", state(1, {})}}));
  REQUIRE(f.store->add_rejections(f.crm, {{run, "row 1", "invalid_email", "bad"}}));
  REQUIRE(f.store->save_read_state(f.crm, read_state("integer", "42")));

  CHECK(f.store->delete_activation("crm").value());
  CHECK_FALSE(f.store->delete_activation("crm").value());
  CHECK_FALSE(f.store->load_read_state(f.crm).value().has_value());
  CHECK_FALSE(f.store->find_run(run).value().has_value());
  CHECK(f.store->count_contacts(f.crm).value() == 0);
  CHECK(rejections_of(*f.store, f.crm, run).empty());
  CHECK(f.store->list_activations().value().empty());
  // A new activation may get the id again: it starts with a full read.
  REQUIRE(f.add("new") == f.crm);
  CHECK_FALSE(f.store->load_read_state(f.crm).value().has_value());
}

TEST_CASE("the failure streak counts runs needing attention; auto-pause keeps a reason until "
          "lifted or resumed",
          "[store]") {
  Fixture f;
  CHECK(f.store->record_run_health("crm", true).value() == 1);
  CHECK(f.store->record_run_health("crm", true).value() == 2);
  CHECK(f.store->record_run_health("crm", false).value() == 0);
  CHECK(f.store->record_run_health("crm", true).value() == 1);
  CHECK(f.store->record_run_health("nope", true).value() == 0);

  REQUIRE(f.store->set_auto_paused("crm", std::string("3 failures: source down")));
  auto crm = f.store->find_activation("crm").value();
  CHECK(crm->auto_paused_reason == "3 failures: source down");
  CHECK(crm->failure_streak == 1);
  CHECK_FALSE(crm->paused);

  REQUIRE(f.store->set_paused("crm", false));  // emsyncctl resume
  crm = f.store->find_activation("crm").value();
  CHECK_FALSE(crm->auto_paused_reason.has_value());
  CHECK(crm->failure_streak == 0);

  REQUIRE(f.store->set_auto_paused("crm", std::string("again")));
  REQUIRE(f.store->set_auto_paused("crm", std::nullopt));  // the check passed
  CHECK_FALSE(f.store->find_activation("crm").value()->auto_paused_reason.has_value());
}

TEST_CASE("rejection streaks grow for the same code and data, restart otherwise, and clear",
          "[store]") {
  Fixture f;
  const std::uint64_t data = 0xfedcba9876543210ULL;  // all 64 bits survive
  REQUIRE(f.store->record_rejections(f.crm, {{"a@x.com", "2007", data}, {"b@x.com", "2007", 1}}));
  REQUIRE(f.store->record_rejections(f.crm, {{"a@x.com", "2007", data}, {"b@x.com", "2010", 1}}));
  REQUIRE(f.store->record_rejections(f.crm, {{"a@x.com", "2007", data}}));
  auto parked = f.store->list_parked(f.crm, 3).value();
  REQUIRE(parked.size() == 1);
  CHECK(parked[0].email == "a@x.com");
  CHECK(parked[0].code == "2007");
  CHECK(parked[0].contact_hash == data);
  CHECK(parked[0].streak == 3);
  CHECK(f.store->list_parked(f.crm, 1).value().size() == 2);  // b restarted at 1 (new code)

  REQUIRE(f.store->record_rejections(f.crm, {{"a@x.com", "2007", data + 1}}));  // data changed
  CHECK(f.store->list_parked(f.crm, 2).value().empty());
  CHECK(f.store->clear_rejection_streaks(f.crm).value() == 2);
  CHECK(f.store->list_parked(f.crm, 1).value().empty());
}

TEST_CASE("forget_rejection_streaks forgets only the emails given", "[store]") {
  Fixture f;
  REQUIRE(f.store->record_rejections(
      f.crm, {{"a@x.com", "2008", 1}, {"b@x.com", "2008", 1}, {"c@x.com", "2008", 1}}));
  REQUIRE(f.store->forget_rejection_streaks(f.crm, {"a@x.com", "c@x.com", "none@x.com"}));
  const auto left = f.store->list_parked(f.crm, 1).value();
  REQUIRE(left.size() == 1);
  CHECK(left[0].email == "b@x.com");
  REQUIRE(f.store->forget_rejection_streaks(f.crm, {}));
  CHECK(f.store->list_parked(f.crm, 1).value().size() == 1);
}

TEST_CASE("the audit log keeps who did what, newest first, beyond a deleted activation",
          "[store]") {
  Fixture f;
  REQUIRE(f.store->add_audit_entry({1000, 0, 0, 41, "apply", "crm", "ok", "created crm"}));
  REQUIRE(f.store->add_audit_entry(
      {2000, 1001, 1002, 42, "run", "crm", "not_found", std::optional<std::string>()}));
  REQUIRE(f.store->add_audit_entry({3000, 1001, 1002, 43, "reload", std::nullopt, "ok", "generation 2"}));
  REQUIRE(f.store->delete_activation("crm").value());

  const auto entries = f.store->list_audit_entries(2).value();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].method == "reload");
  CHECK_FALSE(entries[0].target.has_value());
  CHECK(entries[0].detail == "generation 2");
  CHECK(entries[1].at == 2000);
  CHECK(entries[1].peer_uid == 1001);
  CHECK(entries[1].peer_gid == 1002);
  CHECK(entries[1].peer_pid == 42);
  CHECK(entries[1].target == "crm");
  CHECK(entries[1].outcome == "not_found");
  CHECK_FALSE(entries[1].detail.has_value());
  CHECK(f.store->list_audit_entries(10).value().size() == 3);
}

TEST_CASE("prune_runs deletes old finished runs with their rejected rows, but never an "
          "activation's latest run or latest succeeded run",
          "[store]") {
  Fixture f;
  const auto old_success = finished_run(*f.store, f.crm, RunStatus::succeeded, 1000, 1);
  const auto old_failure = finished_run(*f.store, f.crm, RunStatus::failed, 1100, 2);
  const auto last_success = finished_run(*f.store, f.crm, RunStatus::succeeded, 1200);
  const auto recent = finished_run(*f.store, f.crm, RunStatus::partial, 5000, 1);
  const auto latest = finished_run(*f.store, f.crm, RunStatus::failed, 1300);
  const std::int64_t news = f.add("news");
  const auto cancelled = finished_run(*f.store, news, RunStatus::cancelled, 1000);
  const std::int64_t running = f.store->create_run(news, false, 900).value();
  REQUIRE(f.store->start_run(running, 950));
  const std::int64_t queued = f.store->create_run(news, false, 960).value();
  REQUIRE(f.store->commit_contacts(f.crm, {{"a@x.com", state(1, {})}}));
  REQUIRE(f.store->record_rejections(f.crm, {{"b@x.com", "2007", 7}}));
  REQUIRE(f.store->add_audit_entry({500, 0, 0, 1, "apply", "crm", "ok", std::nullopt}));

  const PrunedRuns pruned = f.store->prune_runs(2000, 100, 1000).value();
  CHECK(pruned.runs == 3);
  CHECK(pruned.rejections == 3);
  CHECK(run_ids(*f.store, f.crm) == std::vector{last_success, recent, latest});
  CHECK(run_ids(*f.store, news) == std::vector{running, queued});
  for (const auto id : {old_success, old_failure, cancelled}) {
    CHECK(rejections_of(*f.store, id == cancelled ? news : f.crm, id).empty());
  }
  CHECK(rejections_of(*f.store, f.crm, recent).size() == 1);
  CHECK(f.store->count_contacts(f.crm).value() == 1);
  CHECK(f.store->list_parked(f.crm, 1).value().size() == 1);
  CHECK(f.store->list_audit_entries(10).value().size() == 1);

  const PrunedRuns again = f.store->prune_runs(2000, 100, 1000).value();
  CHECK(again.runs == 0);
  CHECK(again.rejections == 0);
}

TEST_CASE("prune_runs takes bounded chunks: at most max_runs runs, within max_rejections "
          "rejected rows but at least one run",
          "[store]") {
  Fixture f;
  for (const int rejected : {3, 1, 1, 0, 0}) {
    finished_run(*f.store, f.crm, RunStatus::failed, 1000, rejected);
  }
  const auto latest = finished_run(*f.store, f.crm, RunStatus::succeeded, 1000);
  struct Chunk {
    int max_runs;
    std::int64_t max_rejections;
    std::int64_t runs, rejections;
  };
  for (const Chunk& chunk : {Chunk{10, 1, 1, 3}, Chunk{2, 100, 2, 2}, Chunk{10, 0, 2, 0},
                             Chunk{10, 1000, 0, 0}}) {
    const PrunedRuns pruned =
        f.store->prune_runs(2000, chunk.max_runs, chunk.max_rejections).value();
    CHECK(pruned.runs == chunk.runs);
    CHECK(pruned.rejections == chunk.rejections);
  }
  CHECK(run_ids(*f.store, f.crm) == std::vector{latest});
}

}  // namespace
}  // namespace emsync::store
