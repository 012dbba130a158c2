// The standard process_* metrics (what Prometheus client libraries export),
// read from /proc/self at each scrape: CPU time, resident and virtual
// memory, open and maximum file descriptors, start time.
#pragma once

#include <optional>
#include <string_view>

#include "metrics/registry.hpp"

namespace emsync::metrics {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // unix time
};

// Parses the text of /proc/self/stat (proc(5)); the command name may hold
// spaces and parentheses. nullopt when the text is not of that shape.
std::optional<ProcessStats> parse_proc_stat(std::string_view text, double ticks_per_second,
                                            double page_size, double boot_time_seconds);

class ProcessMetrics {
 public:
  explicit ProcessMetrics(Registry& registry);
  // Reads /proc/self and sets the series; on a read failure they keep their
  // last values.
  void update();

 private:
  Counter& m_cpu;
  double m_cpu_reported = 0;
  Gauge& m_resident;
  Gauge& m_virtual;
  Gauge& m_open_fds;
  Gauge& m_max_fds;
  Gauge& m_start_time;
};

}  // namespace emsync::metrics
