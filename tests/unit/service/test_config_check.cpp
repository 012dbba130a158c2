// emsyncd --check-config's look around the config (check_surroundings):
// every problem at once, each naming its key.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "service/config_check.hpp"

namespace emsync::service {

namespace {

namespace fs = std::filesystem;

struct Dir {
  Dir() {
    std::string name = (fs::temp_directory_path() / "emsync-config-check-XXXXXX").string();
    REQUIRE(::mkdtemp(name.data()) != nullptr);
    path = name;
  }
  ~Dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

// A PostgreSQL source whose password is in the variable `env`.
config::SourceConfig postgres_source(const std::string& env) {
  config::SourceConfig source;
  source.type = config::SourceType::postgres;
  source.password = SecretRef{std::nullopt, env};
  return source;
}

// A WSSE destination whose secret is in the file `secret_file`.
config::DestinationConfig destination(const std::string& secret_file) {
  config::DestinationConfig destination;
  destination.secret.file = secret_file;
  return destination;
}

bool mentions(const std::vector<std::string>& problems, const std::string& part) {
  for (const auto& problem : problems) {
    if (problem.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("check_surroundings passes a config whose secrets read and directories exist",
          "[config_check]") {
  Dir dir;
  std::ofstream(dir.path / "secret") << "s3cret\n";
  ::setenv("EMSYNC_TEST_PG_PASSWORD", "pw", 1);
  config::Config config;
  config.state_db = (dir.path / "state.db").string();
  config.admin_socket = (dir.path / "control.sock").string();
  config.sources["warehouse"] = postgres_source("EMSYNC_TEST_PG_PASSWORD");
  config.destinations["emarsys"] = destination((dir.path / "secret").string());
  CHECK(check_surroundings(config).empty());
  ::unsetenv("EMSYNC_TEST_PG_PASSWORD");
}

TEST_CASE("check_surroundings reports every problem, each naming its key", "[config_check]") {
  Dir dir;
  ::unsetenv("EMSYNC_TEST_UNSET_PASSWORD");
  config::Config config;
  config.state_db = (dir.path / "missing" / "state.db").string();
  config.admin_socket = (dir.path / "run" / "control.sock").string();
  config.sources["warehouse"] = postgres_source("EMSYNC_TEST_UNSET_PASSWORD");
  config.sources["demo"].path = "demo.db";  // SQLite: no secret
  config.destinations["emarsys"] = destination((dir.path / "no-secret").string());
  const auto problems = check_surroundings(config);
  INFO(Catch::Detail::stringify(problems));
  CHECK(problems.size() == 4);
  CHECK(mentions(problems, "destinations.emarsys: destination 'emarsys' secret: cannot read "
                           "secret file " + (dir.path / "no-secret").string()));
  CHECK(mentions(problems, "sources.warehouse: source 'warehouse' password"));
  CHECK(mentions(problems, "EMSYNC_TEST_UNSET_PASSWORD"));
  CHECK(mentions(problems, "state_db: the directory " + (dir.path / "missing").string() +
                           " does not exist"));
  CHECK(mentions(problems, "admin_socket: the directory " + (dir.path / "run").string() +
                           " does not exist"));
}

}  // namespace emsync::service
