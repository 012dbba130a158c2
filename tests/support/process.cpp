#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace emsync::test {
namespace {

constexpr auto k_poll_interval = std::chrono::milliseconds(10);

std::string read_file(const std::filesystem::path& path, std::size_t offset = 0) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// This process's environment with `additions` applied, as "NAME=value".
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& additions) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals != nullptr) {
      variables[std::string(*entry, static_cast<std::size_t>(equals - *entry))] = equals + 1;
    }
  }
  for (const auto& [name, value] : additions) {
    variables[name] = value;
  }
  std::vector<std::string> result;
  for (const auto& [name, value] : variables) {
    result.push_back(name + "=" + value);
  }
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& s : strings) {
    result.push_back(s.data());
  }
  result.push_back(nullptr);
  return result;
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Redirections and a clean signal state (default handlers, nothing blocked).
void spawn_child(pid_t& pid, std::vector<std::string> argv, const SpawnOptions& options,
                 const std::filesystem::path& out, const std::filesystem::path& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string in = options.stdin_path.empty() ? "/dev/null" : options.stdin_path.string();
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&attributes, &signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = child_environment(options.env);
  const int rc = posix_spawnp(&pid, argv.at(0).c_str(), &actions, &attributes,
                              pointers(argv).data(), pointers(env).data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const SpawnOptions& options)
    : m_dir("emsync-child"), m_command(argv.at(0)) {
  spawn_child(m_pid, argv, options, stdout_path(), stderr_path());
}

ChildProcess::~ChildProcess() {
  if (!m_exit_code) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
}

std::optional<int> ChildProcess::poll() {
  if (!m_exit_code) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_exit_code = exit_code_of(status);
    }
  }
  return m_exit_code;
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error(m_command + " (pid " + std::to_string(m_pid) +
                               ") still runs after " + std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
  return *m_exit_code;
}

void ChildProcess::send_signal(int signal) {
  if (!poll()) {
    ::kill(m_pid, signal);
  }
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  send_signal(SIGTERM);
  try {
    return wait(grace);
  } catch (const std::runtime_error&) {
    send_signal(SIGKILL);
    return wait(std::chrono::seconds(10));
  }
}

std::optional<std::string> ChildProcess::read_line_from_stdout(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Exited is checked before reading, so that a last line is not missed.
    const bool exited = poll().has_value();
    const std::string unread = read_file(stdout_path(), m_stdout_offset);
    const std::size_t newline = unread.find('\n');
    if (newline != std::string::npos) {
      m_stdout_offset += newline + 1;
      return unread.substr(0, newline);
    }
    if (exited || std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
}

std::string ChildProcess::stdout_text() const { return read_file(stdout_path()); }

std::string ChildProcess::stderr_text() const { return read_file(stderr_path()); }

CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text,
                          std::chrono::milliseconds timeout, SpawnOptions options) {
  TempDir input("emsync-stdin");
  options.stdin_path = input.path() / "stdin";
  std::ofstream(options.stdin_path, std::ios::binary) << stdin_text;

  ChildProcess child(argv, options);
  int exit_code = 0;
  try {
    exit_code = child.wait(timeout);
  } catch (const std::runtime_error&) {
    throw std::runtime_error(argv.at(0) + " did not finish within " +
                             std::to_string(timeout.count()) +
                             " ms; stderr: " + child.stderr_text());
  }
  return CommandResult{exit_code, child.stdout_text(), child.stderr_text()};
}

}  // namespace emsync::test
