// The JSON shapes of PROTOCOL.md built from store records.
#pragma once

#include <nlohmann/json.hpp>

#include "store/state_store.hpp"

namespace emsync::service {

// The run report's counters: {"rows_read","unchanged","updated","inserted",
// "not_found","rejected","failed"}.
nlohmann::json counts_json(const store::RunCounts& counts);
// RunReport: {"run_id","activation","status","full","rows_read",...,"error"};
// the error quoted with row_text() (at most 2 KiB).
nlohmann::json run_report(const store::RunRecord& run);
// "invalid" (its stored definition does not parse), "paused" (by an
// operator), "auto-paused" (by the daemon) or "active".
const char* activation_state(const store::ActivationRecord& activation);
// RFC 3339 UTC, or null.
nlohmann::json timestamp_json(std::optional<UnixMillis> t);

}  // namespace emsync::service
