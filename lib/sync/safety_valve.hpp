// The safety valve: a run whose model looks broken stops before sending
// anything, so that a broken join upstream cannot wipe a million Emarsys
// profiles. Pure; `emsyncctl run NAME --force` skips it.
//
// A run stops when the activation already knows at least
// k_min_known_contacts contacts and
//  - the model returned no valid contact, or
//  - it returned under half the rows of the last successful run (of an
//    incremental activation: of the last full read that reached the end of
//    its run; an incremental read is never judged by volume), or
//  - its updates would clear a field on more than max_clear_percent of the
//    known contacts.
// With fewer known contacts (a new activation) only the clearing rule
// applies.
//
// A list activation (config::Mode::list) is judged by volume the same way,
// its known contacts being the list members emsync manages, and instead of
// the clearing rule by removal_stop(): removing more than max_remove_percent
// of those members stops the run (whatever their number: the first run
// manages none, so it removes none).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace emsync::sync {

inline constexpr std::int64_t k_min_known_contacts = 100;

struct ValveFacts {
  std::int64_t known_contacts = 0;  // with stored state, before this run
  std::int64_t model_rows = 0;      // rows the model returned
  std::int64_t model_contacts = 0;  // of those, with a valid email
  std::optional<std::int64_t> last_success_rows;  // rows of the last successful run (above)
  int max_clear_percent = 10;
};

// Why the run must stop on volume alone, or nullopt.
std::optional<std::string> volume_stop(const ValveFacts& facts);

// Whether `candidates` contacts (an upper bound of the contacts whose update
// clears a field) could exceed the clearing limit, so that they must be
// counted exactly with clearing_stop().
bool may_clear_too_many(const ValveFacts& facts, std::int64_t candidates);

// Why the run must stop because `clearing` contacts would have a field
// cleared, or nullopt.
std::optional<std::string> clearing_stop(const ValveFacts& facts, std::int64_t clearing);

// Why a list run must stop because `leaving` of the `managed` members would
// be removed (over `max_remove_percent` of them), or nullopt.
//   removal_stop(1000, 100, 10) == nullopt; removal_stop(1000, 101, 10) stops.
std::optional<std::string> removal_stop(std::int64_t managed, std::int64_t leaving,
                                        int max_remove_percent);

}  // namespace emsync::sync
