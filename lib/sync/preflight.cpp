#include "sync/preflight.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "core/blocking.hpp"
#include "sync/model_reader.hpp"

namespace emsync::sync {

namespace {

// Checks run concurrently (apply, auto-resume), each with its own spool.
std::atomic<std::uint64_t> g_checks{0};

}  // namespace

boost::asio::awaitable<Result<void>> check_model(const RunRequest& request,
                                                 const RunResources& resources) {
  // The model through the source's one hardened path, with no row read.
  ReadEnvironment check{.model = resources.model, .store = resources.store};
  check.model.query_options.columns_only = true;
  const std::string spool = resources.spool_dir + "/check-" +
                            std::to_string(request.activation_id) + "-" +
                            std::to_string(++g_checks) + ".spool";
  // Only the columns are checked here: no plan, no stored contacts.
  ModelInputs inputs;
  inputs.resolve_plan = [](const std::vector<source::ColumnType>&) {
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
  co_return ok();
}

boost::asio::awaitable<Result<void>> preflight(const RunRequest& request,
                                               const RunResources& resources) {
  if (auto model = co_await check_model(request, resources); !model) {
    co_return model.error();
  }
  const Destination& destination = resources.destination;
  auto fields = co_await destination.api.list_fields(nullptr);
  if (!fields) {
    co_return fields.error();
  }
  if (!destination.new_contacts_list_id) {
    co_return ok();
  }
  auto lists = co_await destination.api.list_contact_lists(nullptr);
  if (!lists) {
    co_return lists.error();
  }
  const bool found = std::any_of(lists->begin(), lists->end(), [&](const auto& list) {
    return list.id == *destination.new_contacts_list_id;
  });
  if (!found) {
    co_return make_error(Errc::not_found,
                         "the new contacts list " +
                             std::to_string(*destination.new_contacts_list_id) +
                             " does not exist in Emarsys; fix new_contacts_list_id in the config");
  }
  co_return ok();
}

}  // namespace emsync::sync
