// Checks that an activation could run, without reading or sending a
// contact: `apply` runs them on a new or changed definition, and the daemon
// runs them to lift an auto-pause by itself once the cause (source down,
// query broken, credentials refused, field or list missing) is gone.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "sync/run_inputs.hpp"

namespace emsync::sync {

// Checks, in turn, sending nothing and storing nothing:
// 1. the source can be reached and lets emsync in (RowSource::check_connection:
//    a refused login or a database that does not exist is an error);
// 2. the model, without reading a row (QueryOptions::columns_only:
//    PostgreSQL runs it with LIMIT 0; ODBC: SQLPrepare and SQLDescribeCol):
//    the query compiles and may be read, and the email, mapped and cursor
//    columns are there, of a usable type;
// 3. the fields (GET /field): every mapped field exists, by id or by
//    reference (plan_fields); a custom attribute without a field yet passes,
//    as the first run creates it (missing_custom_fields);
// 4. with insert_new_contacts, the destination's new contacts list exists
//    (GET /contactlist); for a list activation given a list id, that list
//    (one given by name is created by its first run).
// What cannot work is the error (Errc::invalid_input, or not_found for the
// list), naming the activation and the thing. A part that cannot be checked
// because the source cannot be reached (check_connection's Errc::transient:
// refused, timeout, unknown host) or a call to Emarsys fails (refused,
// timeout, credentials, a transient failure) is not an error:
// it is a warning in the result, a sentence naming the source or
// destination and the reason, and the checks that need it are skipped (the
// fields are still checked when only the source is down, each mapped column
// taken as text). No warning: every part was checked.
// `request` and `resources` must outlive the call (GCC 12 mishandles
// coroutine parameters taken by value from a braced temporary, so none is
// taken by value).
boost::asio::awaitable<Result<std::vector<std::string>>> check_activation(
    const RunRequest& request, const RunResources& resources);

// The auto-resume check: check_activation(), passing only when every part
// was checked and passed (a warning is an Errc::transient error).
boost::asio::awaitable<Result<void>> preflight(const RunRequest& request,
                                               const RunResources& resources);

}  // namespace emsync::sync
