// The row digest: what a run compares a model row with to call its contact
// unchanged without converting a single value (issue 19). Pure.
//
// A contact's stored contact hash (store::ContactState::contact_hash) is the
// digest of the row Emarsys last acknowledged: a hash of the row's mapped
// values as the source gave them (bytes and NULLs, column by column, in
// mapped_columns() order), seeded with the run's *basis*: everything that
// decides what those bytes convert to, which is
//   - k_conversion_version, emsync's conversion rules (convert.hpp,
//     choices.hpp, field_plan.hpp);
//   - per planned field: its column and the column's type, the Emarsys
//     field id and type, the state key, on_value_too_long, and a
//     choice field's choices (ChoiceTable::fingerprint()).
// So a row whose digest equals the stored one converts to what Emarsys
// holds, and the read step skips it without converting it. A row whose
// digest differs is converted and diffed field by field (sync/diff.hpp):
// only fields whose value changed are sent, and when none did (another
// spelling of the same value, a new choice in the field, new conversion
// rules, the first run of a new emsync version) the contact's state is
// stored again with the new digest, and nothing is sent. That costs one
// state write per contact, once.
//
// Bump k_conversion_version whenever a conversion gives another JSON for the
// same source value: every contact is then converted and diffed once.
//
// Example:
//   RowDigester digest(snapshot.plan);
//   std::uint64_t d = digest(row, value_indexes);  // on the whole row
//   std::uint64_t same = digest(mapped_values);     // on the mapped values only
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "source/row_source.hpp"
#include "sync/field_plan.hpp"

namespace emsync::sync {

// emsync's conversion rules, part of every digest's basis.
inline constexpr std::uint64_t k_conversion_version = 1;

class RowDigester {
 public:
  // `version`: k_conversion_version but in tests.
  explicit RowDigester(const std::vector<PlannedField>& plan,
                       std::uint64_t version = k_conversion_version);

  // The digest of one row's mapped values, in plan order.
  // REQUIRES: mapped.size() == the plan's size.
  std::uint64_t operator()(std::span<const source::Value> mapped) const;
  // The same digest from the whole row: plan field i's value is
  // row[columns[i]]. REQUIRES: columns.size() == the plan's size, each < row.size().
  std::uint64_t operator()(std::span<const source::Value> row,
                           std::span<const std::size_t> columns) const;

  std::uint64_t basis() const { return m_basis; }

 private:
  std::uint64_t m_basis;
};

// The contact hash stored for a contact with a value left out for being too
// long (on_value_too_long: skip_field): never the digest of a row, so that
// such a row is converted again on each run and its left-out values are
// counted and warned of every time (BatchPreparer::skipped_values), as long
// as they are left out.
std::uint64_t digest_with_skipped_values(std::uint64_t digest);

}  // namespace emsync::sync
