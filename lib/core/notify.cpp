#include "core/notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace emsync::notify {

namespace {

void send(const std::string& state) { (void)sd_notify(0, state.c_str()); }

// A status line is one line: newlines would end the assignment early.
std::string one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return line;
}

}  // namespace

void ready(std::string_view status) { send("READY=1\nSTATUS=" + one_line(status)); }

void status(std::string_view line) { send("STATUS=" + one_line(line)); }

void reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=reloading the config");
}

void stopping(std::string_view status) { send("STOPPING=1\nSTATUS=" + one_line(status)); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
    return std::nullopt;
  }
  return std::chrono::microseconds(usec);
}

void watchdog() { send("WATCHDOG=1"); }

}  // namespace emsync::notify
