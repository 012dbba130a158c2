// apply's check of an activation (sync::check_activation): what cannot work
// is an error naming it; what cannot be checked is a warning.
#include <catch2/catch.hpp>

#include "run_fixture.hpp"

namespace emsync::sync::test {

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("apply's check passes a working activation with no warning", "[sync][check]") {
  RunFixture run;
  run.add_people(3);
  SECTION("fields by id and by reference") {}
  SECTION("a custom attribute whose field the first run creates") {
    run.activation.custom_attributes.push_back({"first_name", std::nullopt});
    run.activation.fields.erase(run.activation.fields.begin());
  }
  SECTION("the list is not checked when no contact is inserted") {
    run.activation.insert_new_contacts = false;
    run.emarsys.lists.clear();
  }
  const auto checked = run.check_for_apply();
  INFO((checked ? std::string("passed") : checked.error().message));
  REQUIRE(checked);
  CHECK(checked->empty());
  CHECK(run.emarsys.requests.empty());
  CHECK(run.emarsys.fields.size() == 3);  // no field created
  CHECK(run.stored_contacts() == 0);
}

TEST_CASE("apply's check refuses what cannot work, naming it", "[sync][check]") {
  RunFixture run;
  run.add_people(3);
  std::string expected;
  Errc code = Errc::invalid_input;
  SECTION("a query that does not compile") {
    run.activation.query = "SELEC email, first_name, city FROM people";
    expected = "syntax error";
    code = Errc::source_error;
  }
  SECTION("no email column") {
    run.activation.email_column = "mail";
    expected = "the model has no column 'mail'";
  }
  SECTION("a mapped column the model lacks") {
    run.activation.fields.push_back({"tier", std::int64_t{1}});
    expected = "the model has no column 'tier'";
  }
  SECTION("a cursor column the model lacks") {
    run.activation.incremental.emplace().cursor_column = "updated_at";
    expected = "the model has no cursor column 'updated_at'";
  }
  SECTION("a field id Emarsys does not have") {
    run.activation.fields.at(0).field = std::int64_t{999};
    expected = "column 'first_name': Emarsys has no field with id 999";
  }
  SECTION("a field reference Emarsys does not have") {
    run.activation.fields.at(1).field = std::string("town");
    expected = "column 'city': no Emarsys field has string_id or name 'town'";
  }
  SECTION("a new contacts list Emarsys does not have") {
    run.emarsys.lists.clear();
    expected = "the new contacts list " + std::to_string(k_new_contacts_list) +
               " of destination 'emarsys' does not exist in Emarsys";
    code = Errc::not_found;
  }
  const auto checked = run.check_for_apply();
  REQUIRE_FALSE(checked);
  INFO(checked.error().message);
  CHECK(contains(checked.error().message, expected));
  CHECK(checked.error().code == code);
  CHECK(run.emarsys.requests.empty());
}

TEST_CASE("apply's check warns about what it cannot reach and checks the rest", "[sync][check]") {
  RunFixture run;
  run.add_people(3);
  SECTION("Emarsys unreachable: the model is still checked") {
    run.emarsys.unreachable = make_error(Errc::transient, "connection refused");
    auto checked = run.check_for_apply();
    REQUIRE(checked);
    REQUIRE(checked->size() == 1);
    CHECK(checked->at(0) ==
          "Emarsys (destination 'emarsys') could not be reached, so the fields and the list were "
          "not checked: connection refused");
    run.activation.fields.push_back({"tier", std::int64_t{1}});
    checked = run.check_for_apply();
    REQUIRE_FALSE(checked);
    CHECK(contains(checked.error().message, "the model has no column 'tier'"));
  }
  SECTION("the source unreachable: the fields are still checked") {
    // Nothing listens on port 1 of the loopback: the connection is refused.
    run.use_source(source::make_postgres_source("host=127.0.0.1 port=1 dbname=crm user=emsync",
                                                std::nullopt));
    auto checked = run.check_for_apply();
    REQUIRE(checked);
    REQUIRE(checked->size() == 1);
    CHECK(contains(checked->at(0), "source 'model' could not be reached, so the model was not "
                                   "checked: PostgreSQL source"));
    CHECK(contains(checked->at(0), "cannot connect"));
    run.activation.fields.at(0).field = std::int64_t{999};
    checked = run.check_for_apply();
    REQUIRE_FALSE(checked);
    CHECK(contains(checked.error().message, "Emarsys has no field with id 999"));
  }
  SECTION("a SQLite file that does not exist is no unreachable server: refused") {
    run.use_source(source::make_sqlite_source("/nonexistent/model.db"));
    const auto checked = run.check_for_apply();
    REQUIRE_FALSE(checked);
    CHECK(contains(checked.error().message, "SQLite source '/nonexistent/model.db': cannot open"));
  }
  SECTION("the auto-resume check fails on what could not be checked") {
    run.emarsys.unreachable = make_error(Errc::timeout, "no reply in 60 s");
    const auto checked = run.check();
    REQUIRE_FALSE(checked);
    CHECK(contains(checked.error().message, "could not be reached"));
  }
}

}  // namespace emsync::sync::test
