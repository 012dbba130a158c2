// Choice fields: a source value, a label or a choice id, turned into the
// choice ids Emarsys takes. Pure.
//
// Single choice: the value is trimmed; when it is a choice id of the field
// (an integer column, or text such as "65"), it is that choice; otherwise it
// is matched with the labels, case ignored (fold_case, utf8.hpp: ASCII,
// Latin-1, Greek and Cyrillic letters), an exact match first. So a choice id
// wins over a label that reads like another choice's id. The value sent is
// the choice id as a JSON string ("\"65\""), what a column of ids always
// sent: the field hash is over the resolved id, not the label. A column
// that switches from ids to labels, or a label whose case changes, sends
// nothing (the contact's state is stored again, row_digest.hpp); a choice Emarsys re-created under a new id is sent again; a label
// renamed in Emarsys no longer matches, and the rows holding the old one are
// rejected (unknown_choice) until the model or the field agrees again.
//
// Multi choice: a list of labels or ids, written as a PostgreSQL array
// (`{Cooking,"Hiking trips"}`, what COPY gives for an array column), a JSON
// array (`["Cooking", 3]`, e.g. SQLite's json_array()) or a text separated
// by ';' (`Cooking; Hiking trips`); a text without ';' is a list of one.
// Empty elements and NULL elements are left out. Sent as a JSON array of
// choice ids, sorted by id without repeats (the order in the model does not
// change the hash). An empty list is NULL: it clears the field as other
// NULLs do (Emarsys refuses [] with 2007 "No choice provided").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "emarsys/api_types.hpp"
#include "source/row_source.hpp"

namespace emsync::sync {

// The choices of one Emarsys choice field, read once per run.
class ChoiceTable {
 public:
  ChoiceTable(std::int64_t field_id, std::string field_name, std::vector<emarsys::Choice> choices);

  // The id of the choice `value` names (trimmed): a choice id first, then a
  // label, case ignored; nullptr when none.
  const std::string* find(std::string_view value) const;

  // "field 14 'Country or region'", for messages.
  const std::string& field() const { return m_field; }
  // "'Afghanistan', 'Germany', 'United Kingdom', ... (5 choices)": a few
  // labels for a message; "it has no choices" when empty.
  std::string some_labels() const;
  // A hash of the choices (ids and labels, in order): what a value of the
  // field converts to depends on nothing else (row_digest.hpp).
  std::uint64_t fingerprint() const;

 private:
  std::string m_field;
  std::vector<emarsys::Choice> m_choices;
  std::unordered_map<std::string, std::size_t> m_by_id;
  std::unordered_map<std::string, std::size_t> m_by_label;         // exact
  std::unordered_map<std::string, std::size_t> m_by_folded_label;  // fold_case, the first one
};

// The JSON text of the choice id a single-choice value names, nullopt for
// NULL. Errors: Errc::not_found for a value that is no choice of the field
// (the run rejects the row as unknown_choice), naming the value, `column`,
// the field and a few of its choices; Errc::invalid_input for a boolean,
// date or timestamp column.
Result<std::optional<std::string>> convert_single_choice(const source::Value& value,
                                                         source::ColumnType column_type,
                                                         const ChoiceTable& choices,
                                                         std::string_view column);

// The JSON array of the choice ids a multi-choice value lists, nullopt for
// NULL or an empty list. Errors: Errc::not_found as above for the first
// element that is no choice; Errc::invalid_input for a list that cannot be
// read (an unclosed PostgreSQL array, JSON that is no flat array of strings
// and numbers) or a column of another type than text or integer.
Result<std::optional<std::string>> convert_multi_choice(const source::Value& value,
                                                        source::ColumnType column_type,
                                                        const ChoiceTable& choices,
                                                        std::string_view column);

// The elements of a multi-choice value, untrimmed, as written (see above);
// nullopt when it is malformed. Exposed for tests.
std::optional<std::vector<std::string>> choice_list_elements(std::string_view value);

}  // namespace emsync::sync
