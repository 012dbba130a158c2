#include "sync/preflight.hpp"

#include <algorithm>
#include <cstdio>

#include "core/blocking.hpp"
#include "sync/model_reader.hpp"

namespace emsync::sync {

boost::asio::awaitable<Result<void>> preflight(const RunRequest& request, RunEnvironment& env) {
  // The model through the source's one hardened path, with no row read.
  RunEnvironment check_env = env;
  check_env.query_options.columns_only = true;
  const std::string spool =
      env.spool_dir + "/check-" + std::to_string(request.activation_id) + ".spool";
  // Only the columns are checked here: no plan, no stored contacts.
  ModelInputs inputs;
  inputs.resolve_plan = [](const std::vector<source::ColumnType>&) {
    return Result<std::vector<PlannedField>>(std::vector<PlannedField>());
  };
  inputs.stored_contacts = [] {
    return Result<std::vector<store::ContactDigest>>(std::vector<store::ContactDigest>());
  };
  auto snapshot =
      co_await on_pool(env.pool, [&] { return read_model(request, check_env, spool, inputs); });
  std::remove(spool.c_str());
  if (!snapshot) {
    co_return snapshot.error();
  }
  auto fields = co_await env.client.list_fields();
  if (!fields) {
    co_return fields.error();
  }
  if (!env.new_contacts_list_id) {
    co_return ok();
  }
  auto lists = co_await env.client.list_contact_lists();
  if (!lists) {
    co_return lists.error();
  }
  const bool found = std::any_of(lists->begin(), lists->end(), [&](const auto& list) {
    return list.id == *env.new_contacts_list_id;
  });
  if (!found) {
    co_return make_error(Errc::not_found,
                         "the new contacts list " + std::to_string(*env.new_contacts_list_id) +
                             " does not exist in Emarsys; fix new_contacts_list_id in the config");
  }
  co_return ok();
}

}  // namespace emsync::sync
