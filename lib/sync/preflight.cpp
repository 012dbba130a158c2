#include "sync/preflight.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "core/blocking.hpp"
#include "sync/field_plan.hpp"
#include "sync/list_changes.hpp"
#include "sync/model_reader.hpp"

namespace emsync::sync {

namespace {

// Checks run concurrently (apply, auto-resume), each with its own spool.
std::atomic<std::uint64_t> g_checks{0};

// The model through the source's one hardened path, with no row read: the
// types of the mapped columns (mapped_columns() order).
boost::asio::awaitable<Result<std::vector<source::Column>>> check_model(
    const RunRequest& request, const RunResources& resources) {
  ReadEnvironment check{.model = resources.model, .store = resources.store};
  check.model.query_options.columns_only = true;
  const std::string spool = resources.spool_dir + "/check-" +
                            std::to_string(request.activation_id) + "-" +
                            std::to_string(++g_checks) + ".spool";
  // Only the columns are checked here: no plan, no stored contacts.
  ModelInputs inputs;
  inputs.resolve_plan = [](const std::vector<source::Column>&) {
    return Result<std::vector<PlannedField>>(std::vector<PlannedField>());
  };
  inputs.stored_contacts = [] {
    return Result<std::vector<store::ContactDigest>>(std::vector<store::ContactDigest>());
  };
  auto snapshot =
      co_await on_pool(resources.pool, [&] { return read_model(request, check, spool, inputs); });
  std::remove(spool.c_str());
  if (!snapshot) {
    co_return snapshot.error();
  }
  co_return std::move(snapshot->columns);
}

// The fields as a run would plan them, with the custom fields a run would
// create counted as created.
Result<void> check_fields(const config::Activation& activation,
                          const std::vector<source::Column>& columns,
                          std::vector<emarsys::Field> fields) {
  std::int64_t placeholder_id = 0;  // no Emarsys field has a negative id
  for (const auto& missing : missing_custom_fields(activation, columns, fields)) {
    fields.push_back({--placeholder_id, missing.name, "", missing.application_type});
  }
  auto plan = plan_fields(activation, columns, fields);
  if (!plan) {
    return plan.error();
  }
  return ok();
}

Result<void> check_list(const config::Activation& activation, std::int64_t list_id,
                        const std::vector<emarsys::ContactList>& lists) {
  const bool found = std::any_of(lists.begin(), lists.end(),
                                 [&](const auto& list) { return list.id == list_id; });
  if (found) {
    return ok();
  }
  return make_error(Errc::not_found,
                    "activation '" + activation.name + "': the new contacts list " +
                        std::to_string(list_id) + " of destination '" + activation.destination +
                        "' does not exist in Emarsys; fix new_contacts_list_id in the config, "
                        "or create the list");
}

std::string unreachable(const std::string& what, const std::string& skipped, const Error& error) {
  return what + " could not be reached, so " + skipped + " not checked: " + error.message;
}

}  // namespace

boost::asio::awaitable<Result<std::vector<std::string>>> check_activation(
    const RunRequest& request, const RunResources& resources) {
  const config::Activation& activation = request.activation;
  std::vector<std::string> warnings;
  std::vector<source::Column> columns;  // as text when the model cannot be read
  for (const auto& name : mapped_columns(activation)) {
    columns.push_back({name, source::ColumnType::text, std::nullopt});
  }
  source::RowSource& rows = resources.model.rows;
  auto connected = co_await on_pool(resources.pool, [&] { return rows.check_connection(); });
  if (!connected && connected.error().code != Errc::transient) {
    co_return connected.error();  // it answered no: a refused login, no such database
  }
  if (!connected) {
    warnings.push_back(unreachable("source '" + activation.source + "'", "the model was",
                                   connected.error()));
  } else {
    auto model = co_await check_model(request, resources);
    if (!model) {
      co_return model.error();
    }
    columns = std::move(*model);
  }
  emarsys::ContactApi& api = resources.destination.api;
  const std::string destination = "Emarsys (destination '" + activation.destination + "')";
  auto fields = co_await api.list_fields(nullptr);
  if (!fields) {
    warnings.push_back(unreachable(destination, "the fields and the list were", fields.error()));
    co_return warnings;
  }
  if (auto planned = check_fields(activation, columns, std::move(*fields)); !planned) {
    co_return planned.error();
  }
  // The list a list activation names by id, or the new contacts list (a
  // list given by name is created by the first run).
  const auto* list_activation_id =
      activation.list ? std::get_if<std::int64_t>(&*activation.list) : nullptr;
  const std::optional<std::int64_t> list_id =
      list_activation_id            ? std::optional(*list_activation_id)
      : activation.insert_new_contacts ? resources.destination.new_contacts_list_id
                                       : std::nullopt;
  if (!list_id) {
    co_return warnings;
  }
  auto lists = co_await api.list_contact_lists(nullptr);
  if (!lists) {
    warnings.push_back(unreachable(destination, "the list was", lists.error()));
    co_return warnings;
  }
  if (list_activation_id && !find_list(*lists, *list_id)) {
    co_return make_error(Errc::not_found,
                         "activation '" + activation.name + "': contact list " +
                             std::to_string(*list_id) + " does not exist in Emarsys (destination '" +
                             activation.destination + "'): give the id of an existing list, or "
                             "its name to have emsync create it");
  }
  if (!list_activation_id) {
    if (auto found = check_list(activation, *list_id, *lists); !found) {
      co_return found.error();
    }
  }
  co_return warnings;
}

boost::asio::awaitable<Result<void>> preflight(const RunRequest& request,
                                               const RunResources& resources) {
  auto checked = co_await check_activation(request, resources);
  if (!checked) {
    co_return checked.error();
  }
  if (!checked->empty()) {
    std::string reasons;
    for (const auto& warning : *checked) {
      reasons += (reasons.empty() ? "" : "; ") + warning;
    }
    co_return make_error(Errc::transient, reasons);
  }
  co_return ok();
}

}  // namespace emsync::sync
