// A check that an activation could run, without reading or sending a
// contact: the daemon runs it to lift an auto-pause by itself once the cause
// (source down, query broken, credentials refused, list missing) is gone.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "sync/run_inputs.hpp"

namespace emsync::sync {

// Connects to the source and checks the model query as a run would, without
// reading a row (QueryOptions::columns_only: PostgreSQL runs it with LIMIT 0;
// the email column and every mapped column must exist), calls the Emarsys API (GET
// /field) and, when new contacts join a list, checks that the list exists.
// Sends nothing, stores nothing. The error says what still fails.
// `request` and `resources` must outlive the call (GCC 12 mishandles
// coroutine parameters taken by value from a braced temporary, so none is
// taken by value).
boost::asio::awaitable<Result<void>> preflight(const RunRequest& request,
                                               const RunResources& resources);

// The model part of preflight(), which `apply` runs before it stores an
// activation: connects to the source and prepares the model without reading
// a row (columns_only; ODBC: SQLPrepare and SQLDescribeCol), so that a query
// that does not compile, a table the role cannot read, or an email or mapped
// column the model does not return is refused at once. Calls no API.
boost::asio::awaitable<Result<void>> check_model(const RunRequest& request,
                                                 const RunResources& resources);

}  // namespace emsync::sync
