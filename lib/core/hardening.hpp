// What the daemon does to its own process before it reads a config or a
// secret, so that however it is started (systemd, a shell, a test) what it
// holds stays private.
#pragma once

#include <string>

#include "core/result.hpp"

namespace emsync {

// Makes the process private, first thing in main():
//   - umask 077: the state DB, its WAL and the run spool are created 0600 (the
//     admin socket is chmod'ed 0660 on purpose after its bind);
//   - no core dumps: RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0, so a
//     crash never writes the secrets in memory to disk and no other process of
//     the same user may ptrace the daemon or read its memory in /proc.
// Under systemd's `SystemCallFilter=~@resources` setrlimit is refused (EPERM):
// that is no error when the limit is already 0 (the unit's `LimitCORE=0`).
// Errors: Errc::io_error naming the step and errno.
Result<void> harden_process();

// Overwrites a secret's bytes (its whole capacity, so nothing is left in the
// buffer a later string reuses) in a way the compiler may not elide, then
// empties it. Use it on every copy of a secret that is no longer needed.
void wipe(std::string& secret) noexcept;

}  // namespace emsync
