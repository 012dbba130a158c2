#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "admin/protocol.hpp"
#include "service/reply_budget.hpp"

using emsync::service::ReplyBudget;
using nlohmann::json;

TEST_CASE("a reply budget adds rows while their encoded size fits", "[reply_budget]") {
  // {"m":"xxxxxxxx"} is 16 bytes, 17 with its comma.
  ReplyBudget budget(40);
  json rows = json::array();
  CHECK(budget.add(rows, {{"m", "xxxxxxxx"}}));
  CHECK(budget.add(rows, {{"m", "xxxxxxxx"}}));
  CHECK_FALSE(budget.add(rows, {{"m", "xxxxxxxx"}}));
  CHECK(rows.size() == 2);
  // Once full it stays full, so the rows shown are a prefix of those asked for.
  CHECK_FALSE(budget.add(rows, {{"m", ""}}));
  CHECK(rows.size() == 2);
}

TEST_CASE("a reply of rows cut by the default budget fits the protocol's line", "[reply_budget]") {
  // Rows that escape to six bytes per byte: the encoded size is what counts.
  const std::string controls(4000, '\x01');
  ReplyBudget budget;
  json rows = json::array();
  while (
      budget.add(rows, {{"row_key", "row 1"}, {"code", "invalid_email"}, {"message", controls}})) {
  }
  CHECK(rows.size() > 10);
  emsync::admin::Response reply = emsync::admin::Response::success(
      {{"run_id", 1}, {"errors", rows}, {"total", 10000}, {"next_offset", 40}, {"not_kept", 0}});
  CHECK(emsync::admin::encode_response(reply).size() <= emsync::admin::k_max_message_bytes);
}

TEST_CASE("row_text quotes at most 2 KiB of a stored text", "[reply_budget]") {
  CHECK(emsync::service::row_text("short") == "short");
  const std::string quoted = emsync::service::row_text(std::string(1 << 20, 'e'));
  CHECK(quoted == std::string(2048, 'e') + "\u2026(1048576 bytes)");
}
