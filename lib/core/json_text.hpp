// JSON text written by hand, for the hot paths that would otherwise build a
// nlohmann::json value only to dump it (a fifth of a rerun's CPU in emsyncd;
// a fifth of the simulator's in a first run).
#pragma once

#include <string>
#include <string_view>

namespace emsync {

// Appends the JSON string holding `text` (valid UTF-8) to `out`, byte for
// byte what nlohmann::json::dump() writes, since stored hashes are of it:
// '"', '\\' and control characters escaped (\b \f \n \r \t, else
// \u00xx), everything else as is.
void append_json_string(std::string& out, std::string_view text);

}  // namespace emsync
