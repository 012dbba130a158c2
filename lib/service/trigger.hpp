// What started a run: its schedule, or a person (`emsyncctl run`).
#pragma once

namespace emsync::service {

enum class Trigger { schedule, manual };

inline const char* to_string(Trigger trigger) {
  return trigger == Trigger::schedule ? "schedule" : "manual";
}

}  // namespace emsync::service
