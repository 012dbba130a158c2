#include <catch2/catch.hpp>
#include <string>

#include "service/daemon_metrics.hpp"

namespace emsync::service {
namespace {

// Whether the exposition has the line `series value`.
bool has_line(const std::string& exposition, const std::string& line) {
  return exposition.find("\n" + line + "\n") != std::string::npos;
}

TEST_CASE("rows read are counted by read, both series there from the start until deletion",
          "[metrics]") {
  DaemonMetrics metrics(0);
  metrics.add_activation("crm", std::nullopt);
  const std::string full = R"(emsync_source_rows_read_total{activation="crm",read="full"})";
  const std::string incremental =
      R"(emsync_source_rows_read_total{activation="crm",read="incremental"})";
  std::string text = metrics.render();
  CHECK(has_line(text, full + " 0"));
  CHECK(has_line(text, incremental + " 0"));

  RunSummary run;
  run.activation = "crm";
  run.status = store::RunStatus::succeeded;
  run.counts.rows_read = 1000;
  metrics.record_run(run);
  run.read.kind = store::ReadKind::incremental;
  run.counts.rows_read = 12;
  metrics.record_run(run);
  metrics.record_run(run);
  text = metrics.render();
  CHECK(has_line(text, full + " 1000"));
  CHECK(has_line(text, incremental + " 24"));

  metrics.remove_activation("crm");
  CHECK(metrics.render().find(R"(activation="crm")") == std::string::npos);
}

TEST_CASE("a list run's added and removed members are contact outcomes", "[metrics][list]") {
  DaemonMetrics metrics(0);
  metrics.add_activation("vip", std::nullopt);
  const auto series = [](const char* outcome) {
    return std::string(R"(emsync_contacts_total{activation="vip",outcome=")") + outcome + "\"}";
  };
  CHECK(has_line(metrics.render(), series("added") + " 0"));
  RunSummary run;
  run.activation = "vip";
  run.status = store::RunStatus::succeeded;
  run.counts = {.rows_read = 12, .unchanged = 5, .not_found = 2, .added = 5, .removed = 3};
  metrics.record_run(run);
  const std::string text = metrics.render();
  CHECK(has_line(text, series("added") + " 5"));
  CHECK(has_line(text, series("removed") + " 3"));
  CHECK(has_line(text, series("not_found") + " 2"));
}

}  // namespace
}  // namespace emsync::service
