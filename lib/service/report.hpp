// The JSON shapes of PROTOCOL.md built from store records.
#pragma once

#include <nlohmann/json.hpp>

#include "config/activation.hpp"
#include "store/state_store.hpp"
#include "sync/preview.hpp"

namespace emsync::service {

// The run report's counters: {"rows_read","unchanged","updated","inserted",
// "not_found","rejected","failed","cursor_null"}.
nlohmann::json counts_json(const store::RunCounts& counts);
// RunReport: {"run_id","activation","status","full","read","watermark",
// "read_from","rows_read",...,"error","warnings"}: "read" is "full" or
// "incremental", "watermark" and "read_from" strings for an incremental read,
// else null; the error and each of the "warnings" (an array of strings)
// quoted with row_text() (at most 2 KiB).
nlohmann::json run_report(const store::RunRecord& run);
// `preview`'s result (PROTOCOL.md): the counts, the fields, both verdicts,
// the warnings and the sample, whose contacts are added while they fit in
// the reply (the others counted in "sample_not_shown"); values quoted with
// row_text().
nlohmann::json preview_json(const std::string& activation, const config::Activation& definition,
                            bool full, const sync::RunPreview& preview);
// The counts of preview_json() alone, as one line (what the audit log keeps:
// the sample names contacts).
std::string preview_summary(const nlohmann::json& preview);
// `show`'s "incremental": {"cursor_column","lookback","full_every","watermark",
// "last_full_read_at","cannot_see"}. lookback as configured, else its default
// (0 when `state`'s cursor type is integer, else "15m"); full_every a
// duration or "never"; watermark and last_full_read_at (RFC 3339) from
// `state`, null when none; cannot_see a fixed sentence: what an incremental
// read misses until the next full read.
nlohmann::json incremental_json(const config::Incremental& incremental,
                                const std::optional<store::ReadState>& state);
// "invalid" (its stored definition does not parse), "paused" (by an
// operator), "auto-paused" (by the daemon) or "active".
const char* activation_state(const store::ActivationRecord& activation);
// RFC 3339 UTC, or null.
nlohmann::json timestamp_json(std::optional<UnixMillis> t);
// The text, or null.
nlohmann::json optional_json(const std::optional<std::string>& text);

}  // namespace emsync::service
