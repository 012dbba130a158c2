// The systemd service notification protocol (sd_notify(3)) for a
// Type=notify service: readiness, a status line, reloads, shutdown and the
// watchdog. Every call is a no-op when the daemon is not started by systemd
// (NOTIFY_SOCKET unset), so callers never check.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace emsync::notify {

// READY=1: the admin socket accepts commands.
void ready(std::string_view status);
// STATUS=<line>: a one-line summary `systemctl status` shows.
void status(std::string_view line);
// RELOADING=1 with the monotonic time, then ready() when done.
void reloading();
// STOPPING=1: shutdown has begun.
void stopping(std::string_view status);
// How often systemd expects WATCHDOG=1 (WATCHDOG_USEC for this process), or
// nullopt when the watchdog is off.
std::optional<std::chrono::microseconds> watchdog_interval();
// WATCHDOG=1: the event loop is alive and making progress.
void watchdog();

}  // namespace emsync::notify
