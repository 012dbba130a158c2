#include "service/report.hpp"

#include "service/reply_budget.hpp"

namespace emsync::service {

namespace {

constexpr const char* k_incremental_cannot_see =
    "an incremental read does not see rows deleted from the model or rows whose cursor did not "
    "move (the next full read does), nor rows whose cursor is NULL (full reads only)";

}  // namespace

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
          {"failed", c.failed},       {"cursor_null", c.cursor_null}};
}

nlohmann::json optional_json(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

nlohmann::json run_report(const store::RunRecord& run) {
  const bool started = run.status != store::RunStatus::queued;
  nlohmann::json report = {
      {"run_id", run.id},
      {"activation", run.activation},
      {"status", store::to_string(run.status)},
      {"full", run.full},
      {"read", store::to_string(run.read.kind)},
      {"watermark", optional_json(run.read.watermark)},
      {"read_from", optional_json(run.read.read_from)},
      {"started_at", started ? timestamp_json(run.started_at) : nlohmann::json(nullptr)},
      {"finished_at", timestamp_json(run.finished_at)},
      {"error", run.error ? nlohmann::json(row_text(*run.error)) : nlohmann::json(nullptr)}};
  report.update(counts_json(run.counts));
  return report;
}

nlohmann::json incremental_json(const config::Incremental& incremental,
                                const std::optional<store::ReadState>& state) {
  nlohmann::json lookback;
  if (incremental.lookback_time) {
    lookback = config::duration_text(*incremental.lookback_time);
  } else if (incremental.lookback_count) {
    lookback = *incremental.lookback_count;
  } else if (state && state->cursor_type == "integer") {
    lookback = 0;
  } else {
    lookback = config::duration_text(config::k_default_lookback);
  }
  return {{"cursor_column", incremental.cursor_column},
          {"lookback", std::move(lookback)},
          {"full_every",
           incremental.full_every ? config::duration_text(*incremental.full_every) : "never"},
          {"watermark", state ? optional_json(state->watermark) : nullptr},
          {"last_full_read_at",
           timestamp_json(state ? state->last_full_read_at : std::nullopt)},
          {"cannot_see", k_incremental_cannot_see}};
}

}  // namespace emsync::service
