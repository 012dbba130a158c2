// The choices of a field plan's choice fields, read from Emarsys: by a run
// (once per run, after its fields are planned) and by `explain`.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <vector>

#include "core/result.hpp"
#include "emarsys/contact_api.hpp"
#include "sync/field_plan.hpp"

namespace emsync::sync {

// Sets PlannedField::choices of every single- and multi-choice field in
// `plan`, one list_choices call per distinct field id (fields mapped twice
// share the table). The first failed call is the error; `plan` is then
// partly filled. Runs on the caller's executor; `stats` may be null.
boost::asio::awaitable<Result<void>> read_choices(emarsys::ContactApi& api,
                                                  std::vector<PlannedField>& plan,
                                                  emarsys::RequestStats* stats);

}  // namespace emsync::sync
