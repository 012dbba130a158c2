// Admin replies that list rows (errors, runs, audit, list) fit the
// protocol's line limit (admin::k_max_message_bytes) whatever the rows
// hold: rows are added while they fit, and the reply says what was left out
// (next_offset, not_shown) instead of failing as oversized. Pure.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "admin/protocol.hpp"

namespace emsync::service {

// What the rows of one reply may take: the line limit less room for the
// envelope and the result's other keys (a few short values).
inline constexpr std::size_t k_reply_rows_bytes = admin::k_max_message_bytes - 64 * 1024;
// The most rows a `limit` param asks for (errors, runs, audit), and
// errors' default.
inline constexpr int k_max_list_limit = 1000;
inline constexpr int k_default_errors_limit = 100;
// The contacts a preview shows by default (its `limit` goes up to k_max_list_limit).
inline constexpr int k_default_preview_sample = 10;
// What a listed row quotes of one stored text at most (a run's error, an
// audit entry's detail or target).
inline constexpr std::size_t k_max_row_text_bytes = 2048;

class ReplyBudget {
 public:
  explicit ReplyBudget(std::size_t bytes = k_reply_rows_bytes) : m_left(bytes) {}

  // Appends `row` to the array `rows` when its encoded size (as the reply
  // line encodes it, with its comma) still fits; else returns false and
  // changes nothing, and every later add() fails too (rows stay a prefix).
  bool add(nlohmann::json& rows, nlohmann::json row);

 private:
  std::size_t m_left;
  bool m_full = false;
};

// `text` as a row quotes it: quote_value(text, k_max_row_text_bytes).
std::string row_text(std::string_view text);

}  // namespace emsync::service
