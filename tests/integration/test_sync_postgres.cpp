// End to end: a PostgreSQL model synced to the Emarsys simulator by the real
// emsyncd, driven with the real emsyncctl. Every scenario runs once per way
// of reading the model (PgReader): the postgres source with COPY and with a
// cursor (Redshift's mode), and the odbc source through psqlODBC.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <set>

#include "support/pg_cluster.hpp"
#include "sync_fixture.hpp"

namespace emsync::test {

namespace {

using nlohmann::json;

std::string email_of(int i) { return "user" + std::to_string(i) + "@example.com"; }

// Each reader of the model: the test case runs once per reader (GENERATE). COPY reads
// 3000 contacts; the cursor and ODBC read fewer (a shorter run), still more
// than one fetch of 1000 rows.
PgReader each_reader() { return GENERATE(PgReader::copy, PgReader::cursor, PgReader::odbc); }
int contacts_for(PgReader reader) { return reader == PgReader::copy ? 3000 : 1500; }

// A fresh database with the crm.customers model: `contacts` good rows and six
// bad ones (three invalid emails, one email twice, one city too long).
void create_model(const PgCluster& pg, const std::string& db, int contacts) {
  pg.exec("DROP DATABASE IF EXISTS " + db + "; CREATE DATABASE " + db + ";");
  pg.exec(R"sql(
    CREATE SCHEMA crm;
    CREATE TABLE crm.customers (email text, first_name text, city text, birth_date date,
                                opted_in boolean, tier varchar(16), ltv numeric(12,2),
                                bio text);
    INSERT INTO crm.customers
      SELECT 'user' || i || '@example.com', 'First' || i, 'City' || (i % 7),
             DATE '1980-01-01' + i, i % 2 = 0, (ARRAY['gold','silver','bronze'])[i % 3 + 1],
             i * 1.5, CASE WHEN i = 1 THEN repeat('b', 10000) END
      FROM generate_series(1, )sql" + std::to_string(contacts) + R"sql() AS i;
    INSERT INTO crm.customers (email, first_name) VALUES
      ('not-an-email', 'Bad'), ('a b@example.com', 'Bad'), (NULL, 'Bad'),
      ('dup@example.com', 'One'), (' DUP@example.com', 'Two');
    INSERT INTO crm.customers (email, city) VALUES ('long@example.com', repeat('x', 61));
  )sql", db);
}

json activation(bool insert) {
  return {{"name", "crm-contacts"},
          {"source", "warehouse"},
          {"destination", "emarsys"},
          {"query",
           "SELECT email, first_name, city, birth_date, opted_in, tier, ltv, bio FROM crm.customers"},
          {"fields", {{"first_name", 1}, {"city", "city"}, {"birth_date", 4}, {"opted_in", 31}}},
          {"custom_attributes", {"tier", "ltv", "bio"}},
          {"insert_new_contacts", insert}};
}

json model_source(PgReader reader, const TempDir& dir, const std::string& db, int contacts) {
  create_model(PgCluster::shared(), db, contacts);
  return pg_source(reader, dir, db);
}

// The model read with `reader`, a simulator where the first sixth of the
// contacts already exist, emsyncd, and the activation applied.
struct Setup {
  PgReader reader;
  int contacts;
  int existing;  // user1..user<existing> already exist in Emarsys
  TempDir dir{"emsync-sync"};
  Simulator sim;
  std::int64_t list_id;
  Daemon daemon;

  Setup(PgReader model_reader, const std::string& db, bool insert)
      : reader(model_reader),
        contacts(contacts_for(reader)),
        existing(contacts / 6),
        list_id(sim.create_list("new from emsync")),
        daemon(dir, {{"warehouse", model_source(reader, dir, db, contacts)}},
               {{"emarsys", wsse_destination(sim, dir, list_id)}}) {
    json seeded = json::array();
    for (int i = 1; i <= existing; ++i) {
      seeded.push_back({{"3", email_of(i)}, {"1", "Old"}});
    }
    sim.seed(seeded);
    auto applied = daemon.ctl({"apply", "-"}, activation(insert).dump());
    INFO(applied.stderr_text);
    REQUIRE(applied.exit_code == 0);
  }

  json run(int expected_exit = 0) { return daemon.ctl_json({"run", "crm-contacts", "--wait"}, expected_exit); }
};

std::int64_t custom_field_id(const json& state, const std::string& name) {
  for (const auto& field : state.at("fields")) {
    if (field.at("name") == name) {
      return field.at("id").get<std::int64_t>();
    }
  }
  FAIL("no custom field " << name);
  return -1;
}

std::size_t contacts_sent(const Simulator& sim) {
  std::size_t n = 0;
  for (const auto* method : {"PUT", "POST"}) {
    for (const auto& request : sim.requests(method, "/contact")) {
      n += request.at("contacts").size();
    }
  }
  return n;
}

}  // namespace

TEST_CASE("a first run lands every contact exactly, and a rerun sends nothing", "[sync][pg]") {
  Setup s(each_reader(), "sync_first", true);
  INFO("read with " << to_string(s.reader));

  const json report = s.run();
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("rows_read") == s.contacts + 6);
  CHECK(report.at("updated") == s.existing);
  CHECK(report.at("inserted") == s.contacts - s.existing);
  CHECK(report.at("rejected") == 6);
  CHECK(report.at("unchanged") == 0);
  CHECK(report.at("not_found") == 0);
  CHECK(report.at("failed") == 0);
  CHECK(report.at("error").is_null());

  const json state = s.sim.state();
  const auto tier_id = std::to_string(custom_field_id(state, "tier"));
  const auto ltv_id = std::to_string(custom_field_id(state, "ltv"));
  const auto contacts = s.sim.contacts();
  REQUIRE(contacts.size() == static_cast<std::size_t>(s.contacts));
  for (int i = 1; i <= s.contacts; ++i) {
    const json& fields = contacts.at(email_of(i));
    INFO(email_of(i) << " " << fields.dump());
    CHECK(as_text(fields.at("1")) == "First" + std::to_string(i));
    CHECK(as_text(fields.at("11")) == "City" + std::to_string(i % 7));
    CHECK(as_text(fields.at("31")) == (i % 2 == 0 ? "1" : "2"));
    CHECK(as_text(fields.at(tier_id)) == std::vector<std::string>{"gold", "silver", "bronze"}[i % 3]);
    CHECK(std::stod(as_text(fields.at(ltv_id))) == Approx(i * 1.5));
    if (i == 1) {
      CHECK(as_text(fields.at("4")) == "1980-01-02");
      CHECK(as_text(fields.at(std::to_string(custom_field_id(state, "bio")))) ==
            std::string(10000, 'b'));  // a largetext field takes it whole
    }
  }

  SECTION("custom fields are created once, with types from the model's columns") {
    CHECK(s.sim.requests("POST", "/field").size() == 3);
    std::map<std::string, std::string> types;
    for (const auto& field : state.at("fields")) {
      types[field.at("name")] = field.at("application_type");
    }
    CHECK(types.at("tier") == "longtext");  // varchar(16)
    CHECK(types.at("ltv") == "numeric");
    CHECK(types.at("bio") == "largetext");  // text: unbounded
  }

  SECTION("only the new contacts join the new-contacts list") {
    std::set<std::string> members;
    for (const auto& list : state.at("lists")) {
      if (list.at("id") == s.list_id) {
        for (const auto& member : list.at("members")) {
          members.insert(as_text(member));
        }
      }
    }
    std::set<std::string> created;
    for (const auto& contact : state.at("contacts")) {
      const int n = std::stoi(contact.at("email").get<std::string>().substr(4));
      if (n > s.existing) {
        created.insert(as_text(contact.at("id")));
      }
    }
    CHECK(members.size() == static_cast<std::size_t>(s.contacts - s.existing));
    CHECK(members == created);
  }

  SECTION("bad rows are rejected with their reason") {
    const json errors = s.daemon.ctl_json({"errors", "crm-contacts"});
    std::multiset<std::string> codes;
    for (const auto& e : errors.at("errors")) {
      codes.insert(e.at("code").get<std::string>());
    }
    CHECK(codes.count("invalid_email") == 2);
    CHECK(codes.count("missing_email") == 1);
    CHECK(codes.count("duplicate_email") == 2);
    CHECK(codes.count("invalid_value") == 1);
  }

  SECTION("a rerun sends no contact") {
    s.sim.clear_requests();
    const json again = s.run();
    CHECK(again.at("status") == "succeeded");
    CHECK(again.at("unchanged") == s.contacts);
    CHECK(again.at("rejected") == 6);
    CHECK(again.at("updated") == 0);
    CHECK(again.at("inserted") == 0);
    CHECK(contacts_sent(s.sim) == 0);
    CHECK(s.sim.requests("POST", "/field").empty());
  }

  SECTION("a stored contact whose email appears again is rejected in every row, state kept") {
    // user5 comes back with the same data (its first row reads as unchanged),
    // user6 with other data.
    PgCluster::shared().exec(
        "INSERT INTO crm.customers SELECT * FROM crm.customers WHERE email = 'user5@example.com';"
        "INSERT INTO crm.customers SELECT email, first_name, 'Twin', birth_date, opted_in, tier, "
        "ltv FROM crm.customers WHERE email = 'user6@example.com'",
        "sync_first");
    s.sim.clear_requests();
    const json again = s.run();
    CHECK(again.at("status") == "succeeded");
    CHECK(again.at("rows_read") == s.contacts + 6 + 2);
    CHECK(again.at("unchanged") == s.contacts - 2);
    CHECK(again.at("rejected") == 6 + 4);
    CHECK(again.at("updated") == 0);
    CHECK(contacts_sent(s.sim) == 0);
    std::multiset<std::string> twins;
    const json errors = s.daemon.ctl_json({"errors", "crm-contacts"});
    INFO(errors.dump());
    for (const auto& e : errors.at("errors")) {
      if (e.at("code") == "duplicate_email" && e.at("message").get<std::string>().find(
                                                   "user5@") != std::string::npos) {
        twins.insert("user5");
      }
      if (e.at("code") == "duplicate_email" && e.at("message").get<std::string>().find(
                                                   "user6@") != std::string::npos) {
        twins.insert("user6");
      }
    }
    CHECK(twins == std::multiset<std::string>{"user5", "user5", "user6", "user6"});

    // Once the model has one row each again, both are unchanged: their state was kept.
    PgCluster::shared().exec(
        "DELETE FROM crm.customers WHERE ctid IN (SELECT max(ctid) FROM crm.customers "
        "WHERE email IN ('user5@example.com', 'user6@example.com') GROUP BY email)",
        "sync_first");
    const json back = s.run();
    CHECK(back.at("unchanged") == s.contacts);
    CHECK(back.at("rejected") == 6);
    CHECK(contacts_sent(s.sim) == 0);
  }

  SECTION("a changed column sends exactly those contacts with exactly that field") {
    const std::string last_but_one = email_of(s.contacts - 1);
    PgCluster::shared().exec(
        "UPDATE crm.customers SET city = 'Moved' WHERE email IN "
        "('user1@example.com','user2@example.com','" + last_but_one + "')",
        "sync_first");
    s.sim.clear_requests();
    const json again = s.run();
    CHECK(again.at("updated") == 3);
    CHECK(again.at("unchanged") == s.contacts - 3);
    auto puts = s.sim.requests("PUT", "/contact");
    REQUIRE(puts.size() == 1);
    std::set<std::string> emails;
    for (const auto& contact : puts.front().at("contacts")) {
      CHECK(contact.size() == 2);
      CHECK(contact.at("11") == "Moved");
      emails.insert(contact.at("3").get<std::string>());
    }
    CHECK(emails ==
          std::set<std::string>{"user1@example.com", "user2@example.com", last_but_one});
    CHECK(as_text(s.sim.contacts().at(last_but_one).at("11")) == "Moved");
  }

  SECTION("a value that becomes NULL is cleared with an empty string") {
    PgCluster::shared().exec("UPDATE crm.customers SET tier = NULL WHERE email = 'user5@example.com'",
                             "sync_first");
    s.sim.clear_requests();
    CHECK(s.run().at("updated") == 1);
    auto puts = s.sim.requests("PUT", "/contact");
    REQUIRE(puts.size() == 1);
    CHECK(puts.front().at("contacts") ==
          json::array({{{"3", "user5@example.com"}, {tier_id, ""}}}));
  }

  SECTION("a contact the simulator rejects is retried on the next run") {
    PgCluster::shared().exec(
        "UPDATE crm.customers SET first_name = 'Renamed' WHERE email = 'user7@example.com'",
        "sync_first");
    s.sim.reject({{"user7@example.com", {{"code", "2007"}, {"message", "Invalid data format for field id: 1"}}}});
    const json rejected = s.run();
    CHECK(rejected.at("status") == "succeeded");
    CHECK(rejected.at("rejected") == 7);
    const json errors = s.daemon.ctl_json({"errors", "crm-contacts"});
    bool found = false;
    for (const auto& e : errors.at("errors")) {
      found = found || (e.at("row_key") == "user7@example.com" && e.at("code") == "2007");
    }
    CHECK(found);
    s.sim.reject(json::object());
    const json retried = s.run();
    CHECK(retried.at("updated") == 1);
    CHECK(as_text(s.sim.contacts().at("user7@example.com").at("1")) == "Renamed");
  }
}

TEST_CASE("without insert_new_contacts, unknown contacts are counted and nothing is created",
          "[sync][pg]") {
  Setup s(each_reader(), "sync_no_insert", false);
  INFO("read with " << to_string(s.reader));
  const json report = s.run();
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("updated") == s.existing);
  CHECK(report.at("not_found") == s.contacts - s.existing);
  CHECK(report.at("inserted") == 0);
  CHECK(s.sim.contacts().size() == static_cast<std::size_t>(s.existing));
  CHECK(s.sim.requests("POST", "/contact").empty());

  // Nothing was stored for them: they are tried again on the next run.
  const json again = s.run();
  CHECK(again.at("not_found") == s.contacts - s.existing);
  CHECK(again.at("unchanged") == s.existing);
}

namespace {

// Every PostgreSQL type a model commonly has, in a database whose sessions
// default to Tokyo time, so that a timestamptz read in the session's zone
// rather than UTC lands on another date.
void create_typed_model(const std::string& db) {
  const auto& pg = PgCluster::shared();
  pg.exec("DROP DATABASE IF EXISTS " + db + "; CREATE DATABASE " + db + ";" +
          "ALTER DATABASE " + db + " SET timezone TO 'Asia/Tokyo';");
  pg.exec(R"sql(
    CREATE TABLE typed (email text, label text, n_int integer, n_big bigint, n_small smallint,
                        amount numeric(14,4), ratio double precision, flag boolean, day date,
                        at timestamp, at_tz timestamptz);
    INSERT INTO typed VALUES
      ('types1@example.com', 'Zoë Ångström — 東京 🎉', 42, 9007199254740993, -7, 1234.5600, 0.1,
       true, '1999-12-31', '2024-02-29 23:59:59.5', '2024-03-01 00:30:00+02'),
      ('types2@example.com', 'only me', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      ('types3@example.com', E'it''s "q" \\ tab\there', -2147483648, -9223372036854775808, 32767,
       -0.0001, 1e20, false, '2000-02-29', '1970-01-01 00:00:00', '2000-01-01 23:30:00-05');
  )sql", db);
}

const std::vector<std::string> k_typed_columns = {"label", "n_int", "n_big", "n_small", "amount",
                                                  "ratio", "flag",  "day",   "at",      "at_tz"};

}  // namespace

TEST_CASE("every column type lands with the same values through every reader", "[sync][pg]") {
  const PgReader reader = each_reader();
  INFO("read with " << to_string(reader));
  TempDir dir("emsync-types");
  Simulator sim;
  create_typed_model("sync_types");
  Daemon daemon(dir, {{"warehouse", pg_source(reader, dir, "sync_types")}},
                {{"emarsys", wsse_destination(sim, dir, std::nullopt)}});
  daemon.apply({{"name", "typed"},
                {"source", "warehouse"},
                {"destination", "emarsys"},
                {"query", "SELECT email, label, n_int, n_big, n_small, amount, ratio, flag, day, at, "
                          "at_tz FROM typed"},
                {"custom_attributes", k_typed_columns},
                {"insert_new_contacts", true}});

  const json report = daemon.run("typed");
  CHECK(report.at("status") == "succeeded");
  CHECK(report.at("inserted") == 3);
  CHECK(report.at("rejected") == 0);

  // The custom fields' types come from the columns' types, the same through every reader.
  const json state = sim.state();
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> column_of;  // field id -> column
  for (const auto& field : state.at("fields")) {
    const auto name = field.at("name").get<std::string>();
    if (std::find(k_typed_columns.begin(), k_typed_columns.end(), name) != k_typed_columns.end()) {
      types[name] = field.at("application_type");
      column_of[std::to_string(field.at("id").get<std::int64_t>())] = name;
    }
  }
  CHECK(types == std::map<std::string, std::string>{
                     {"label", "largetext"}, {"n_int", "numeric"}, {"n_big", "numeric"},
                     {"n_small", "numeric"}, {"amount", "numeric"}, {"ratio", "numeric"},
                     {"flag", "numeric"}, {"day", "date"}, {"at", "date"}, {"at_tz", "date"}});

  // Each contact's values by column; NULL is not sent on a first run.
  std::map<std::string, std::map<std::string, std::string>> landed;
  for (const auto& [email, fields] : sim.contacts()) {
    for (const auto& [id, value] : fields.items()) {
      if (column_of.count(id) == 1) {
        landed[email][column_of.at(id)] = as_text(value);
      }
    }
  }
  CHECK(landed["types1@example.com"] ==
        std::map<std::string, std::string>{{"label", "Zoë Ångström — 東京 🎉"},
                                           {"n_int", "42"},
                                           {"n_big", "9007199254740993"},
                                           {"n_small", "-7"},
                                           {"amount", "1234.56"},
                                           {"ratio", "0.1"},
                                           {"flag", "1"},
                                           {"day", "1999-12-31"},
                                           {"at", "2024-02-29"},
                                           {"at_tz", "2024-02-29"}});
  CHECK(landed["types2@example.com"] == std::map<std::string, std::string>{{"label", "only me"}});
  CHECK(landed["types3@example.com"] ==
        std::map<std::string, std::string>{{"label", "it's \"q\" \\ tab\there"},
                                           {"n_int", "-2147483648"},
                                           {"n_big", "-9223372036854775808"},
                                           {"n_small", "32767"},
                                           {"amount", "-0.0001"},
                                           {"ratio", "100000000000000000000"},
                                           {"flag", "0"},
                                           {"day", "2000-02-29"},
                                           {"at", "1970-01-01"},
                                           {"at_tz", "2000-01-02"}});

  // The values read the same way twice: a rerun sends nothing.
  sim.clear_requests();
  const json again = daemon.run("typed");
  CHECK(again.at("unchanged") == 3);
  CHECK(sim.sent_contacts("PUT").empty());
  CHECK(sim.sent_contacts("POST").empty());
}

}  // namespace emsync::test
