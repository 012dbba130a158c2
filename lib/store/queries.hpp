// Every SQL statement the state store runs, prepared once per connection.
#pragma once

#include <cstddef>
#include <string_view>

namespace emsync::store {

enum class Query {
  list_activations,
  find_activation,
  insert_activation,
  update_activation,
  delete_activation,
  set_paused,
  record_run_health,
  set_auto_paused,
  create_run,
  start_run,
  update_run_counts,
  finish_run,
  set_run_read,
  set_run_warnings,
  list_runs,
  find_run,
  interrupt_unfinished_runs,
  prunable_runs,
  delete_run_rejections,
  delete_run,
  data_version,
  load_state_fields,
  insert_state_field,
  delete_state_fields,
  load_contact,
  load_logged_contact,
  upsert_contact,
  delete_contact,
  delete_all_contacts,
  list_contact_digests,
  count_contacts,
  load_read_state,
  save_read_state,
  delete_read_state,
  append_contact,
  has_logged_contacts,
  count_log_entries,
  fold_logged_contacts,
  log_is_only_of,
  clear_contact_log,
  delete_logged_contacts,
  free_pages,
  list_list_members,
  insert_list_member,
  find_list_member,
  delete_list_member,
  delete_list_members,
  count_list_members,
  load_list_id,
  save_list_id,
  delete_list_state,
  insert_rejection,
  count_run_rejections,
  add_rejections_not_kept,
  list_rejections,
  count_listed_rejections,
  rejections_not_kept,
  record_rejection,
  list_parked,
  clear_rejection_streaks,
  forget_rejection_streak,
  insert_audit,
  list_audit,
};

inline constexpr std::size_t k_query_count = static_cast<std::size_t>(Query::list_audit) + 1;

// The SQL of `query`. Parameters are numbered (?1, ?2, ...).
std::string_view sql(Query query);

}  // namespace emsync::store
