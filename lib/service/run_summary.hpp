// RunSummary: a finished run as the metrics (daemon_metrics.hpp), the
// run_finished log line and the state DB health (state_db_health.hpp: a
// result kept until it can be written) see it. A value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "emarsys/api_types.hpp"
#include "service/trigger.hpp"
#include "store/state_store.hpp"

namespace emsync::service {

struct RunSummary {
  std::int64_t run_id = 0;
  std::string activation;
  Trigger trigger = Trigger::manual;
  store::RunStatus status = store::RunStatus::failed;
  store::RunCounts counts;
  store::RunRead read;  // how it read its model (full when it failed before planning its read)
  UnixMillis started_at = 0;
  UnixMillis finished_at = 0;
  emarsys::RequestStats requests;
  std::int64_t batches = 0;
  std::optional<std::string> error;
  std::vector<std::string> warnings;  // sync::RunOutcome::warnings
};

}  // namespace emsync::service
