#include "sync/preflight.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/blocking.hpp"
#include "sync/model_reader.hpp"

namespace emsync::sync {

namespace {

// The model query wrapped to return its columns and no row.
std::string without_rows(std::string query) {
  while (!query.empty() &&
         (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back())))) {
    query.pop_back();
  }
  return "SELECT * FROM (" + query + ") AS emsync_check LIMIT 0";
}

}  // namespace

boost::asio::awaitable<Result<void>> preflight(const RunRequest& request, RunEnvironment& env) {
  RunRequest check = request;
  check.activation.query = without_rows(request.activation.query);
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
  auto snapshot = co_await on_pool(env.pool, [&] { return read_model(check, env, spool, inputs); });
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
