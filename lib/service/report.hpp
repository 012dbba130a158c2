// The JSON shapes of PROTOCOL.md built from store records.
#pragma once

#include <nlohmann/json.hpp>

#include "store/state_store.hpp"

namespace emsync::service {

// RunReport: {"run_id","activation","status","full","rows_read",...,"error"}.
nlohmann::json run_report(const store::RunRecord& run);
// RFC 3339 UTC, or null.
nlohmann::json timestamp_json(std::optional<UnixMillis> t);

}  // namespace emsync::service
