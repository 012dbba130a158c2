#include "service/report.hpp"

#include "service/reply_budget.hpp"

namespace emsync::service {

nlohmann::json timestamp_json(std::optional<UnixMillis> t) {
  return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

const char* activation_state(const store::ActivationRecord& activation) {
  return !activation.definition          ? "invalid"
         : activation.paused             ? "paused"
         : activation.auto_paused_reason ? "auto-paused"
                                         : "active";
}

nlohmann::json counts_json(const store::RunCounts& c) {
  return {{"rows_read", c.rows_read}, {"unchanged", c.unchanged}, {"updated", c.updated},
          {"inserted", c.inserted},   {"not_found", c.not_found}, {"rejected", c.rejected},
          {"failed", c.failed}};
}

nlohmann::json run_report(const store::RunRecord& run) {
  const bool started = run.status != store::RunStatus::queued;
  nlohmann::json report = {
      {"run_id", run.id},
      {"activation", run.activation},
      {"status", store::to_string(run.status)},
      {"full", run.full},
      {"started_at", started ? timestamp_json(run.started_at) : nlohmann::json(nullptr)},
      {"finished_at", timestamp_json(run.finished_at)},
      {"error", run.error ? nlohmann::json(row_text(*run.error)) : nlohmann::json(nullptr)}};
  report.update(counts_json(run.counts));
  return report;
}

}  // namespace emsync::service
