// Logging for the daemon: spdlog to stderr (journald picks it up under
// systemd), as text or as JSON Lines, with structured events for lines a log
// pipeline reads by field rather than by text.
#pragma once

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <nlohmann/json_fwd.hpp>
#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace emsync {

// level: trace|debug|info|warn|error; format: text|json.
Result<void> setup_logging(const std::string& level, const std::string& format);

// One structured log line: `event` is a fixed snake_case name (e.g. "run_finished"),
// `fields` a flat JSON object (strings, numbers, booleans, null).
// json format:  {"ts":...,"level":...,"msg":"<event>","pid":...,<fields...>}  (fields at top level)
// text format:  "<ts> <level> <event> key=value key=value ..." (logfmt; values with spaces or quotes quoted and escaped)
// Every JSON line also has "version" (the project version) and "logger" (the
// logger's name, "emsyncd"). A field named like a key every line has (ts,
// level, msg, pid, version, logger) is written as field_<name>, so no line has
// a key twice. null `fields` means none.
//
// At info and above, log_event and plain spdlog lines alike write every
// email-like word (local@domain.tld) of a message or string field as
// "<email>": no line operators see names a contact, even when an error from a
// source or from Emarsys quotes one. Debug and trace lines are written as is.
void log_event(spdlog::level::level_enum level, std::string_view event, const nlohmann::json& fields);

// The formatter setup_logging gives the logger, for tests that format through
// it: `format` is "text" or "json". For the journal (`to_journal`) each line
// starts with its sd-daemon(3) priority, <7> debug and trace, <6> info, <4>
// warn, <3> error, <2> critical, so journald records the level; text lines
// then have no timestamp (journald adds its own), JSON lines keep theirs.
std::unique_ptr<spdlog::formatter> make_log_formatter(std::string_view format, bool to_journal);

// Whether stderr is the journal: `journal_stream` is $JOURNAL_STREAM
// ("DEV:INODE", set by systemd, see systemd.exec(5)) and names the device
// and inode fstat(2) gives for stderr. A child that inherited the variable but
// writes elsewhere (a redirect, a pipe) does not match.
bool is_journal_stream(std::string_view journal_stream, dev_t stderr_dev, ino_t stderr_ino);

}  // namespace emsync
