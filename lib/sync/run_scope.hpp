// What a run is asked to do beyond its activation: two enums rather than two
// adjacent booleans, so that swapping them does not compile.
#pragma once

namespace emsync::sync {

// What a run sends. changes: what differs from the stored hashes; full:
// every non-NULL value again, whatever is stored (`emsyncctl run --full`).
enum class Scope { changes, full };
// bypass: the run passes the safety valve (`run --force`, safety_valve.hpp).
enum class SafetyValve { enforce, bypass };

}  // namespace emsync::sync
