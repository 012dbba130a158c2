// The test-control endpoints under /sim/ (no auth, not rate limited, not in
// the request log): inspect the state, reset it, seed contacts and lists,
// configure fault injection. JSON shapes are in README.md.
#pragma once

#include "sim/http.hpp"
#include "sim/store.hpp"

namespace emsync::sim {

// REQUIRES: target.path starts with "/sim/".
Response handle_control(State& state, const Request& request, const Target& target,
                        Clock::time_point now);

// The GET /sim/state document.
Json dump_state(const State& state);

}  // namespace emsync::sim
