#include "metrics/process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace emsync::metrics {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "btime N" of /proc/stat: when the machine booted, in unix seconds.
double boot_time_seconds() {
  std::istringstream lines(read_file("/proc/stat"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("btime ", 0) == 0) {
      return std::stod(line.substr(6));
    }
  }
  return 0;
}

double open_fd_count() {
  std::error_code error;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

}  // namespace

std::optional<ProcessStats> parse_proc_stat(std::string_view text, double ticks_per_second,
                                            double page_size, double boot_time_seconds) {
  const auto name_end = text.rfind(')');
  if (name_end == std::string_view::npos) {
    return std::nullopt;
  }
  // Fields after the name, from field 3 (state) on.
  std::vector<std::string_view> fields;
  for (std::size_t at = name_end + 1; at < text.size();) {
    const auto start = text.find_first_not_of(" \n", at);
    if (start == std::string_view::npos) {
      break;
    }
    const auto end = std::min(text.find_first_of(" \n", start), text.size());
    fields.push_back(text.substr(start, end - start));
    at = end;
  }
  auto field = [&](std::size_t number) -> std::optional<double> {  // 1-based, as in proc(5)
    std::uint64_t value = 0;
    const auto& f = fields[number - 3];
    if (std::from_chars(f.data(), f.data() + f.size(), value).ec != std::errc()) {
      return std::nullopt;
    }
    return static_cast<double>(value);
  };
  if (fields.size() < 24 - 2) {
    return std::nullopt;
  }
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
             rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) {
    return std::nullopt;
  }
  return ProcessStats{(*utime + *stime) / ticks_per_second, *rss * page_size, *vsize,
                      boot_time_seconds + *start / ticks_per_second};
}

ProcessMetrics::ProcessMetrics(Registry& registry)
    : m_cpu(registry.counter("process_cpu_seconds_total", "User and system CPU time, in seconds.")
                .with({})),
      m_resident(registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
                     .with({})),
      m_virtual(
          registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").with({})),
      m_open_fds(registry.gauge("process_open_fds", "Open file descriptors.").with({})),
      m_max_fds(
          registry.gauge("process_max_fds", "Maximum number of open file descriptors.").with({})),
      m_start_time(registry
                       .gauge("process_start_time_seconds",
                              "Start time of the process since the unix epoch, in seconds.")
                       .with({})) {
  update();
}

void ProcessMetrics::update() {
  static const double boot_time = boot_time_seconds();
  const auto stats =
      parse_proc_stat(read_file("/proc/self/stat"), static_cast<double>(::sysconf(_SC_CLK_TCK)),
                      static_cast<double>(::sysconf(_SC_PAGESIZE)), boot_time);
  if (stats) {
    m_cpu.add(stats->cpu_seconds - m_cpu_reported);
    m_cpu_reported = std::max(m_cpu_reported, stats->cpu_seconds);
    m_resident.set(stats->resident_bytes);
    m_virtual.set(stats->virtual_bytes);
    m_start_time.set(stats->start_time_seconds);
  }
  m_open_fds.set(open_fd_count());
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    m_max_fds.set(static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace emsync::metrics
