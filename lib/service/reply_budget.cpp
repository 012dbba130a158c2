#include "service/reply_budget.hpp"

#include "core/quote.hpp"

namespace emsync::service {

bool ReplyBudget::add(nlohmann::json& rows, nlohmann::json row) {
  if (m_full) {
    return false;
  }
  // As admin::encode_response() writes it, plus the comma before it.
  const std::size_t size =
      row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() + 1;
  if (size > m_left) {
    m_full = true;
    return false;
  }
  m_left -= size;
  rows.push_back(std::move(row));
  return true;
}

std::string row_text(std::string_view text) { return quote_value(text, k_max_row_text_bytes); }

}  // namespace emsync::service
