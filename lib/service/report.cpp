#include "service/report.hpp"

#include <algorithm>

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
          {"failed", c.failed},       {"cursor_null", c.cursor_null},
          {"added", c.added},         {"removed", c.removed}};
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
      {"error", run.error ? nlohmann::json(row_text(*run.error)) : nlohmann::json(nullptr)},
      {"warnings", nlohmann::json::array()}};
  for (const std::string& warning : run.warnings) {
    report["warnings"].push_back(row_text(warning));
  }
  report.update(counts_json(run.counts));
  return report;
}

namespace {

nlohmann::json verdict_json(const std::optional<std::string>& stop) {
  return {{"would_stop", stop.has_value()}, {"reason", optional_json(stop)}};
}

nlohmann::json value_json(const std::optional<std::string>& value) {
  return value ? nlohmann::json(row_text(*value)) : nlohmann::json(nullptr);
}

nlohmann::json sample_json(const sync::SampleContact& contact) {
  nlohmann::json fields = nlohmann::json::array();
  for (const sync::SampleField& field : contact.fields) {
    fields.push_back({{"column", field.column},
                      {"field_id", field.field_id > 0 ? nlohmann::json(field.field_id)
                                                      : nlohmann::json(nullptr)},
                      {"new", value_json(field.new_value)},
                      {"cleared", !field.new_value.has_value()},
                      {"current", value_json(field.current)}});
  }
  return {{"email", row_text(contact.email)},
          {"known", contact.known},
          {"in_emarsys", contact.in_emarsys},
          {"fields", std::move(fields)}};
}

// A list activation's preview: the samples are normalised emails, at most
// the preview's limit each (k_max_list_limit: well within a reply).
nlohmann::json list_preview_json(const sync::ListPreview& list) {
  nlohmann::json add_sample = nlohmann::json::array();
  for (const std::string& email : list.add_sample) {
    add_sample.push_back(row_text(email));
  }
  nlohmann::json remove_sample = nlohmann::json::array();
  for (const std::string& email : list.remove_sample) {
    remove_sample.push_back(row_text(email));
  }
  return {{"list", list.list},
          {"list_id", list.list_id > 0 ? nlohmann::json(list.list_id) : nlohmann::json(nullptr)},
          {"would_create", list.list_id == 0},
          {"members", list.members},
          {"add", list.add},
          {"remove", list.remove},
          {"parked", list.parked},
          {"add_sample", std::move(add_sample)},
          {"remove_sample", std::move(remove_sample)}};
}

}  // namespace

nlohmann::json preview_json(const std::string& activation, const config::Activation& definition,
                            bool full, const sync::RunPreview& preview) {
  nlohmann::json fields = nlohmann::json::array();
  for (const sync::FieldPreview& field : preview.fields) {
    const bool create = field.field_id == 0;
    fields.push_back(
        {{"column", field.column},
         {"field_id", create ? nlohmann::json(nullptr) : nlohmann::json(field.field_id)},
         {"would_create", create ? nlohmann::json(field.field_name) : nlohmann::json(nullptr)},
         {"set", field.set},
         {"cleared", field.cleared}});
  }
  nlohmann::json rejected_share = verdict_json(preview.rejected_share_stop);
  rejected_share["max_rejected_percent"] = config::to_json(definition)["max_rejected_percent"];
  nlohmann::json out = {
      {"activation", activation},
      {"full", full},
      {"read", store::to_string(preview.read.kind)},
      {"watermark", optional_json(preview.read.watermark)},
      {"read_from", optional_json(preview.read.read_from)},
      {"rows_read", preview.rows_read},
      {"new", preview.new_contacts},
      {"changed", preview.changed},
      {"unchanged", preview.unchanged},
      {"rejected", preview.rejected},
      {"rejected_by_reason", preview.rejected_by_reason},
      {"duplicates", {{"rows", preview.duplicate_rows}, {"emails", preview.duplicate_emails}}},
      {"fields", std::move(fields)},
      {"safety_valve", verdict_json(preview.safety_valve_stop)},
      {"rejected_share", std::move(rejected_share)},
      {"would_send", !preview.safety_valve_stop && !preview.rejected_share_stop},
      {"warnings", preview.warnings},
      {"sample_error", optional_json(preview.sample_error)}};
  out["mode"] = preview.list ? "list" : "contacts";
  if (preview.list) {
    out["list"] = list_preview_json(*preview.list);
  }
  // The rest of the reply is small; the sample takes what is left of the line.
  ReplyBudget budget(k_reply_rows_bytes - std::min(k_reply_rows_bytes / 2, out.dump().size()));
  nlohmann::json sample = nlohmann::json::array();
  std::size_t shown = 0;
  while (shown < preview.sample.size() && budget.add(sample, sample_json(preview.sample[shown]))) {
    ++shown;
  }
  out["sample"] = std::move(sample);
  out["sample_not_shown"] = preview.sample.size() - shown;
  return out;
}

std::string preview_summary(const nlohmann::json& preview) {
  std::string out;
  for (const char* key : {"rows_read", "new", "changed", "unchanged", "rejected"}) {
    out += (out.empty() ? "" : " ") + std::string(key) + "=" + preview.value(key, nlohmann::json()).dump();
  }
  if (const auto list = preview.find("list"); list != preview.end() && list->is_object()) {
    for (const char* key : {"add", "remove"}) {
      out += " " + std::string(key) + "=" + list->value(key, nlohmann::json()).dump();
    }
  }
  return out + " would_send=" + preview.value("would_send", nlohmann::json()).dump();
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
