// The data-quality rules, decided before a run sends anything, and the
// warnings its report carries. Pure.
//
// max_rejected_percent (config::Activation): the rows a run rejects before
// sending (an invalid or missing email, a duplicate email, a value that does
// not convert or is too long; not parked contacts, whom Emarsys rejected in
// earlier runs) are counted once the model is spooled. When they are more
// than that share of the rows read, the run stops before sending anything
// (`failed`, the error giving the count per reason and the first row keys);
// `emsyncctl run NAME --force` sends the rest anyway. Below it, the run goes
// on and its report warns with the counts per reason.
//
// A run that updated and created nothing because every contact it sent was
// not_found (insert_new_contacts off) warns, saying how to create them; a
// list run warns of its not_found contacts (it never creates contacts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/activation.hpp"
#include "store/state_store.hpp"

namespace emsync::sync {

// Row keys a tally keeps for messages.
inline constexpr std::size_t k_tallied_keys = 5;
// The code of a parked contact's rejection (batch_preparer.cpp).
inline constexpr const char* k_parked_code = "parked";

// Rejected rows by reason (the rejection's code), with the keys of the
// first few rejected for their data (not parked).
class RejectionTally {
 public:
  void add(const std::string& code, const std::string& row_key);
  void add(const std::vector<store::Rejection>& rejections);  // those of kind `rejected` only
  void merge(const RejectionTally& other);

  std::int64_t total() const;
  // What max_rejected_percent counts: every reason but parked.
  std::int64_t of_data() const;
  const std::map<std::string, std::int64_t>& by_code() const { return m_by_code; }
  const std::vector<std::string>& first_keys() const { return m_first_keys; }
  // "40 duplicate_email, 20 invalid_email": the most frequent first.
  std::string summary() const;

 private:
  std::map<std::string, std::int64_t> m_by_code;
  std::vector<std::string> m_first_keys;  // at most k_tallied_keys
};

// Whether `rejected` rows plus at most `candidates` more could exceed
// max_percent of `rows_read`, so that the candidates must be counted
// (a dry pass over the spool) before anything is sent.
bool may_reject_too_many(std::int64_t rejected, std::int64_t candidates, std::int64_t rows_read,
                         double max_percent);

// Why the run of `activation` must stop because `tally` (the rows rejected
// before sending) exceeds its max_rejected_percent of `rows_read`, or nullopt.
std::optional<std::string> rejected_share_stop(const RejectionTally& tally,
                                               std::int64_t rows_read,
                                               const config::Activation& activation);

// The warnings of a run that sent what it could: the rows it rejected, by
// reason (when any), and every contact not_found with insert_new_contacts
// off (nothing updated or created).
std::vector<std::string> run_warnings(const RejectionTally& tally, const store::RunCounts& counts,
                                      const config::Activation& activation);

// "4.5%": a share of `whole` as a percentage, with at most 3 significant digits.
std::string percent_text(std::int64_t part, std::int64_t whole);

}  // namespace emsync::sync
