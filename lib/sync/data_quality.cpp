#include "sync/data_quality.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace emsync::sync {

namespace {

// "5", "0.5", "4.55": a percentage as a person writes it.
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// More than max_percent of rows_read.
bool over_share(std::int64_t rejected, std::int64_t rows_read, double max_percent) {
  return rejected > 0 &&
         static_cast<double>(rejected) * 100.0 > static_cast<double>(rows_read) * max_percent;
}

}  // namespace

void RejectionTally::add(const std::string& code, const std::string& row_key) {
  ++m_by_code[code];
  if (code != k_parked_code && m_first_keys.size() < k_tallied_keys) {
    m_first_keys.push_back(row_key);
  }
}

void RejectionTally::add(const std::vector<store::Rejection>& rejections) {
  for (const store::Rejection& rejection : rejections) {
    if (rejection.kind == store::RowKind::rejected) {  // not the failed or not found ones
      add(rejection.code, rejection.row_key);
    }
  }
}

void RejectionTally::merge(const RejectionTally& other) {
  for (const auto& [code, count] : other.m_by_code) {
    m_by_code[code] += count;
  }
  for (const std::string& key : other.m_first_keys) {
    if (m_first_keys.size() < k_tallied_keys) {
      m_first_keys.push_back(key);
    }
  }
}

std::int64_t RejectionTally::total() const {
  std::int64_t total = 0;
  for (const auto& [code, count] : m_by_code) {
    total += count;
  }
  return total;
}

std::int64_t RejectionTally::of_data() const {
  const auto parked = m_by_code.find(k_parked_code);
  return total() - (parked == m_by_code.end() ? 0 : parked->second);
}

std::string RejectionTally::summary() const {
  std::vector<std::pair<std::string, std::int64_t>> codes(m_by_code.begin(), m_by_code.end());
  std::stable_sort(codes.begin(), codes.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [code, count] : codes) {
    out += (out.empty() ? "" : ", ") + std::to_string(count) + " " + code;
  }
  return out;
}

std::string percent_text(std::int64_t part, std::int64_t whole) {
  return number_text(whole > 0 ? static_cast<double>(part) * 100.0 / static_cast<double>(whole)
                               : 0.0) +
         "%";
}

bool may_reject_too_many(std::int64_t rejected, std::int64_t candidates, std::int64_t rows_read,
                         double max_percent) {
  return over_share(rejected + candidates, rows_read, max_percent);
}

std::optional<std::string> rejected_share_stop(const RejectionTally& tally,
                                               std::int64_t rows_read,
                                               const config::Activation& activation) {
  const std::int64_t rejected = tally.of_data();
  if (!over_share(rejected, rows_read, activation.max_rejected_percent)) {
    return std::nullopt;
  }
  std::string keys;
  for (const std::string& key : tally.first_keys()) {
    keys += (keys.empty() ? "" : ", ") + key;
  }
  return "data quality: " + std::to_string(rejected) + " of " + std::to_string(rows_read) +
         " rows read were rejected (" + percent_text(rejected, rows_read) +
         ", over max_rejected_percent " + number_text(activation.max_rejected_percent) +
         "%): " + tally.summary() + "; first: " + keys +
         "; nothing was sent. Fix the model (`emsyncctl errors " + activation.name +
         "` lists the rows), raise max_rejected_percent, or send the rest anyway with "
         "`emsyncctl run " +
         activation.name + " --force`";
}

std::vector<std::string> run_warnings(const RejectionTally& tally, const store::RunCounts& counts,
                                      const config::Activation& activation) {
  std::vector<std::string> warnings;
  if (const std::int64_t rejected = tally.total(); rejected > 0) {
    warnings.push_back(std::to_string(rejected) + " of " + std::to_string(counts.rows_read) +
                       " rows read were rejected (" + percent_text(rejected, counts.rows_read) +
                       "; max_rejected_percent " + number_text(activation.max_rejected_percent) +
                       "%): " + tally.summary() + "; `emsyncctl errors " + activation.name +
                       "` lists them");
  }
  if (activation.mode == config::Mode::list && counts.not_found > 0) {
    warnings.push_back(std::to_string(counts.not_found) +
                       " contacts of the model are not in Emarsys (not_found), so they are not "
                       "in the list: a list activation never creates contacts; an activation of "
                       "the contacts mode with \"insert_new_contacts\": true creates them");
  } else if (counts.not_found > 0 && counts.updated == 0 && counts.inserted == 0 &&
             !activation.insert_new_contacts) {
    warnings.push_back(
        "none of the " + std::to_string(counts.not_found) +
        " contacts sent exists in Emarsys (all not_found), so nothing was updated: "
        "insert_new_contacts is off, and emsync only updates contacts Emarsys already has; to "
        "create them, set \"insert_new_contacts\": true in activation '" +
        activation.name + "' and apply it again");
  }
  return warnings;
}

}  // namespace emsync::sync
