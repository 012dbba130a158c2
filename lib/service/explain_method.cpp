// The admin method `explain` (lib/admin/PROTOCOL.md): one contact's story,
// from the state DB and one read of the model (sync/explain.hpp). Operator
// tier: it runs the model query.
#include "service/params.hpp"
#include "service/reply_budget.hpp"
#include "service/report.hpp"
#include "service/service.hpp"
#include "sync/email.hpp"
#include "sync/explain.hpp"
#include "sync/row_key.hpp"

namespace emsync::service {

namespace asio = boost::asio;
using admin::Request;
using admin::Response;
using nlohmann::json;

namespace {

json run_json(const std::optional<store::RunRecord>& run) {
  if (!run) {
    return nullptr;
  }
  return {{"run_id", run->id},
          {"status", store::to_string(run->status)},
          {"finished_at", timestamp_json(run->finished_at)}};
}

json story_json(const std::string& activation, const sync::ContactStory& story) {
  json stored_fields = json::array();
  if (story.stored) {
    for (const auto& field : story.stored->fields) {
      stored_fields.push_back(field.key);
    }
  }
  json rows = json::array();
  for (const auto& row : story.last_run_rows) {
    rows.push_back({{"kind", store::to_string(row.kind)},
                    {"code", row.code},
                    {"message", row.message}});
  }
  json fields = json::array();
  for (const auto& field : story.fields) {
    fields.push_back({{"column", field.column},
                      {"field_id", field.field_id},
                      {"stored", field.stored},
                      {"change", sync::to_string(field.change)},
                      {"value", field.value ? json(row_text(*field.value)) : json(nullptr)}});
  }
  const std::int64_t acknowledged_by =
      story.stored ? story.stored->acknowledged_by_run : story.added_by_run;
  const bool parked = story.parked.has_value();
  return {
      {"activation", activation},
      {"email", story.email},
      {"known", story.stored.has_value()},
      {"list_member", story.list_member ? json(*story.list_member) : json(nullptr)},
      {"acknowledged_by_run", acknowledged_by > 0 ? json(acknowledged_by) : json(nullptr)},
      {"acknowledged_run", run_json(story.acknowledged_run)},
      {"stored_fields", stored_fields},
      {"parked", parked ? json({{"code", story.parked->code}, {"streak", story.parked->streak}})
                        : json(nullptr)},
      {"last_run", run_json(story.last_run)},
      {"last_run_rows", rows},
      {"model_rows", story.model_rows},
      {"next_run", sync::to_string(story.next)},
      {"next_code", story.next_code.empty() ? json(nullptr) : json(story.next_code)},
      {"next_message", story.next_message.empty() ? json(nullptr) : json(story.next_message)},
      {"fields", fields}};
}

}  // namespace

std::string Service::explain_audit_detail(const Request& request, const Response& response) {
  const auto email = request.params.find("email");
  const std::string key =
      email != request.params.end() && email->is_string()
          ? "contact " + sync::hashed_row_key(sync::fold_email(email->get<std::string>()))
          : "no contact";
  if (!response.ok) {
    return key + ": " + response.error_code;
  }
  const json& next = response.result.is_object() ? response.result.value("next_run", json())
                                                 : json();
  return key + ": next run " + (next.is_string() ? next.get<std::string>() : "-");
}

asio::awaitable<Response> Service::handle_explain(const Request& request) {
  auto a = co_await named_activation(request);
  if (!a) {
    co_return Response::from_error(a.error());
  }
  auto email = string_param(request, "email");
  if (!email) {
    co_return Response::from_error(email.error());
  }
  if (!a->definition) {
    co_return Response::failure(to_string(Errc::invalid_input), a->definition_error);
  }
  auto tools = run_tools(*a->definition);
  if (!tools) {
    co_return Response::from_error(tools.error());
  }
  const sync::RunResources resources = run_resources(*tools);
  const sync::ExplainRequest explained{
      .activation_id = a->id,
      .activation = *a->definition,
      .email = *email,
      .hash_row_keys = m_config.rejected_row_keys == config::Config::RowKeys::hashed,
      .park_after = m_config.park_after_rejections};
  auto story = co_await sync::explain_contact(explained, resources);
  if (!story) {
    co_return Response::from_error(story.error());
  }
  co_return Response::success(story_json(a->name, *story));
}

}  // namespace emsync::service
