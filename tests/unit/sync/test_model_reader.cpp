// sync::read_model reading ahead while the stored digests load
// (ModelInputs::stored_contacts_ready): whenever they arrive, the run's view
// of the model is the same as when they were there before the first row.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/hash.hpp"
#include "store/state_store.hpp"
#include "sync/model_reader.hpp"
#include "sync/row_digest.hpp"
#include "sync/spool.hpp"

namespace es = emsync::sync;
using emsync::Result;
using emsync::source::Column;
using emsync::source::Value;

namespace {

// A model held in memory: email, first_name, city.
class ModelRows final : public emsync::source::RowSource {
 public:
  std::vector<std::vector<Value>> rows;

  Result<void> stream(const std::string&, const emsync::source::QueryOptions&,
                      emsync::source::RowSink& sink) override {
    EMSYNC_TRY(sink.on_columns({{"email", emsync::source::ColumnType::text, std::nullopt},
                                {"first_name", emsync::source::ColumnType::text, std::nullopt},
                                {"city", emsync::source::ColumnType::text, std::nullopt}}));
    for (const auto& row : rows) {
      EMSYNC_TRY(sink.on_row(row));
    }
    return emsync::ok();
  }
  Result<void> check_connection() override { return emsync::ok(); }
};

std::vector<es::PlannedField> plan_of(const std::vector<Column>& columns) {
  std::vector<es::PlannedField> plan;
  for (const Column& column : columns) {
    es::PlannedField field;
    field.column = column.name;
    field.field_id = column.name == "city" ? 4 : 1;
    field.state_key = column.name + ">" + std::to_string(field.field_id);
    plan.push_back(field);
  }
  return plan;
}

struct Reading {
  es::ModelSnapshot snapshot;
  std::vector<std::int64_t> sent_on;  // the spool's row numbers step 3 reads
};

// Reads `model` against `stored`, the stored digests saying they are there
// after `ready_after` questions (-1: never while the model streams).
Reading read(ModelRows& model, const std::vector<emsync::store::ContactDigest>& stored,
             int ready_after) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("emsync-reader-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto state = emsync::store::open_state_store((dir / "state.db").string());
  REQUIRE(state);
  es::RunRequest request;
  request.run_id = 1;
  request.activation.name = "crm";
  request.activation.fields = {{"first_name", std::int64_t{1}}, {"city", std::int64_t{4}}};
  const emsync::source::QueryOptions options;
  const es::ModelSource source{model, options};
  const es::ReadEnvironment env{.model = source, .store = **state, .store_rejections = false};
  int asked = 0;
  es::ModelInputs inputs;
  inputs.resolve_plan = [](const std::vector<Column>& columns) -> Result<std::vector<es::PlannedField>> {
    return plan_of(columns);
  };
  inputs.stored_contacts = [&]() -> Result<std::vector<emsync::store::ContactDigest>> { return stored; };
  inputs.stored_contacts_ready = [&] { return ready_after >= 0 && asked++ >= ready_after; };
  const std::string spool = (dir / "spool").string();
  auto snapshot = es::read_model(request, env, spool, inputs);
  REQUIRE(snapshot);
  Reading out{std::move(*snapshot), {}};
  REQUIRE(std::is_sorted(out.snapshot.unspooled_rows.begin(), out.snapshot.unspooled_rows.end()));
  auto reader = es::SpoolReader::open(spool, out.snapshot.unspooled_rows);
  REQUIRE(reader);
  es::SpooledRow row;
  for (;;) {
    auto more = reader->next(row);
    REQUIRE(more);
    if (!*more) {
      break;
    }
    out.sent_on.push_back(row.row_number);
  }
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace

TEST_CASE("rows read ahead of the stored digests are judged as if they had been there",
          "[sync][model_reader]") {
  // Rows 1..3000: a third stored unchanged, a third stored changed, a third
  // new; a NULL first_name on every 7th; an email twice ahead (row 10 and
  // 3001), one twice across (row 2901, stored unchanged, and 3002), one
  // stored unchanged twice ahead (rows 30 and 3003), and invalid emails.
  ModelRows model;
  std::vector<emsync::store::ContactDigest> stored;
  const es::RowDigester digest(plan_of({{"first_name", {}, {}}, {"city", {}, {}}}));
  auto email = [](int i) { return "p" + std::to_string(i) + "@example.com"; };
  for (int i = 1; i <= 3000; ++i) {
    const Value first_name = i % 7 == 0 ? Value() : Value("n" + std::to_string(i));
    model.rows.push_back({email(i), first_name, std::string("Paris")});
    const std::uint64_t row_digest = digest(std::vector<Value>{first_name, std::string("Paris")});
    if (i % 3 == 0) {
      stored.push_back({emsync::hash64(email(i)), row_digest});
    } else if (i % 3 == 1) {
      stored.push_back({emsync::hash64(email(i)), row_digest + 1});
    }
  }
  model.rows.push_back(model.rows[9]);
  model.rows.push_back(model.rows[2900]);
  model.rows.push_back(model.rows[29]);
  model.rows.push_back({std::string("not an email"), std::string("x"), std::nullopt});
  std::sort(stored.begin(), stored.end(),
            [](const auto& a, const auto& b) { return a.email_hash < b.email_hash; });

  const Reading waited = read(model, stored, 0);
  CHECK(waited.snapshot.unspooled_rows.empty());
  CHECK(waited.snapshot.unchanged == 1000 - 2);  // rows 2901 and 30 are repeated
  CHECK(waited.snapshot.duplicate_hashes.size() == 3);
  for (const int ready_after : {3, 20, -1}) {
    INFO("ready after " << ready_after << " questions");
    const Reading ahead = read(model, stored, ready_after);
    CHECK_FALSE(ahead.snapshot.unspooled_rows.empty());  // it did read ahead
    CHECK(ahead.snapshot.index_complete);
    CHECK(ahead.snapshot.rows_read == waited.snapshot.rows_read);
    CHECK(ahead.snapshot.unchanged == waited.snapshot.unchanged);
    CHECK(ahead.snapshot.spooled == static_cast<std::int64_t>(ahead.sent_on.size()));
    CHECK(ahead.snapshot.rows_with_null == waited.snapshot.rows_with_null);
    CHECK(ahead.snapshot.duplicate_hashes == waited.snapshot.duplicate_hashes);
    CHECK(ahead.snapshot.index.departed() == waited.snapshot.index.departed());
    // Rejected: the same rows, but the first row of an unchanged email read
    // again ahead (rows 30 and 2901 when the model ended before the load) is
    // rejected by step 3 rather than here.
    const bool all_ahead = ready_after < 0;
    CHECK(ahead.snapshot.rejected + (all_ahead ? 2 : 0) == waited.snapshot.rejected);
    std::set<std::int64_t> sent(ahead.sent_on.begin(), ahead.sent_on.end());
    std::set<std::int64_t> waited_sent(waited.sent_on.begin(), waited.sent_on.end());
    if (all_ahead) {  // those first rows, spooled for step 3 to reject
      waited_sent.insert({30, 2901});
    }
    CHECK(sent == waited_sent);
  }
}
