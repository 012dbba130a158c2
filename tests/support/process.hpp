// Child processes for integration tests: a long-running one (the daemon, the
// Emarsys simulator) as ChildProcess, and a command run to completion (a CLI)
// with run_command().
//
// Exit codes: the process's exit status, or 128 + the signal number when a
// signal killed it (as shells report it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"

namespace emsync::test {

struct SpawnOptions {
  // Added to this process's environment (replacing variables of the same name).
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path cwd;         // empty: this process's working directory
  std::filesystem::path stdin_path;  // empty: /dev/null
};

// A child whose stdout and stderr go to files in a private temp dir. Not
// thread-safe; not movable.
class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH). Throws std::runtime_error naming the
  // command when it cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  // Kills the child with SIGKILL if it still runs, and reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return m_pid; }

  // The next complete line of stdout (without "\n"), or nullopt when none
  // arrived within `timeout` or the child exited without writing one.
  std::optional<std::string> read_line_from_stdout(std::chrono::milliseconds timeout);
  // Waits for the child to exit and returns its exit code. Throws
  // std::runtime_error after `timeout` (the child keeps running).
  int wait(std::chrono::milliseconds timeout);
  // The exit code if the child has exited, without waiting.
  std::optional<int> poll();
  void send_signal(int signal);
  // SIGTERM, then SIGKILL if it has not exited after `grace`; the exit code.
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Everything written so far.
  std::string stdout_text() const;
  std::string stderr_text() const;
  std::filesystem::path stdout_path() const { return m_dir.path() / "stdout"; }
  std::filesystem::path stderr_path() const { return m_dir.path() / "stderr"; }

 private:
  TempDir m_dir;
  std::string m_command;  // argv[0], for messages
  pid_t m_pid = -1;
  std::optional<int> m_exit_code;
  std::size_t m_stdout_offset = 0;  // bytes of stdout already returned as lines
};

struct CommandResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs argv to completion with `stdin_text` as its input. Throws
// std::runtime_error when it cannot start or outlives `timeout` (it is then
// killed).
CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60),
                          SpawnOptions options = {});

}  // namespace emsync::test
