// All SQL of the state DB (the schema itself is in schema/*.sql).
#include "store/queries.hpp"

#include <iterator>

namespace emsync::store {
namespace {

#define EMSYNC_ACTIVATION_COLUMNS                                                              \
  "SELECT id, name, definition, destination, created_at, updated_at, paused, failure_streak, " \
  "auto_paused_reason FROM activations "

// Column order is what read_run() in state_store.cpp expects.
#define EMSYNC_RUN_COLUMNS                                                                        \
  "SELECT r.id, r.activation_id, a.name, r.status, r.full, r.rows_read, r.unchanged, r.updated, " \
  "r.inserted, r.not_found, r.rejected, r.failed, r.cursor_null, r.started_at, r.finished_at, " \
  "r.error, r.read, r.watermark, r.read_from, r.warnings, r.added, r.removed "                     \
  "FROM runs AS r JOIN activations AS a ON a.id = r.activation_id "

#define EMSYNC_COUNT_COLUMNS \
  "rows_read, unchanged, updated, inserted, not_found, rejected, failed, cursor_null, added, removed"

struct Entry {
  Query query;
  std::string_view sql;
};

constexpr Entry k_queries[] = {
    {Query::list_activations, EMSYNC_ACTIVATION_COLUMNS "ORDER BY name"},
    {Query::find_activation, EMSYNC_ACTIVATION_COLUMNS "WHERE name = ?1"},
    {Query::insert_activation,
     "INSERT INTO activations (name, definition, destination, created_at, updated_at) "
     "VALUES (?1, ?2, ?3, ?4, ?4)"},
    {Query::update_activation,
     "UPDATE activations SET definition = ?2, destination = ?3, updated_at = ?4 WHERE id = ?1"},
    {Query::delete_activation, "DELETE FROM activations WHERE name = ?1"},
    // Resuming also lifts an auto-pause and ends the failure streak.
    {Query::set_paused,
     "UPDATE activations SET paused = ?2, "
     "auto_paused_reason = CASE WHEN ?2 = 0 THEN NULL ELSE auto_paused_reason END, "
     "failure_streak = CASE WHEN ?2 = 0 THEN 0 ELSE failure_streak END WHERE name = ?1"},
    {Query::record_run_health,
     "UPDATE activations SET failure_streak = CASE WHEN ?2 = 1 THEN failure_streak + 1 ELSE 0 END "
     "WHERE name = ?1 RETURNING failure_streak"},
    {Query::set_auto_paused,
     "UPDATE activations SET auto_paused_reason = ?2, "
     "failure_streak = CASE WHEN ?2 IS NULL THEN 0 ELSE failure_streak END WHERE name = ?1"},
    {Query::create_run,
     "INSERT INTO runs (activation_id, status, full, started_at) VALUES (?1, 'queued', ?2, ?3)"},
    {Query::start_run,
     "UPDATE runs SET status = 'running', started_at = ?2 WHERE id = ?1 AND status = 'queued'"},
    {Query::update_run_counts,
     "UPDATE runs SET (" EMSYNC_COUNT_COLUMNS ") = (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
     "WHERE id = ?1 AND status = 'running'"},
    {Query::finish_run, "UPDATE runs SET (" EMSYNC_COUNT_COLUMNS ", status, finished_at, error) "
                        "= (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) WHERE id = ?1"},
    {Query::set_run_read, "UPDATE runs SET read = ?2, watermark = ?3, read_from = ?4 WHERE id = ?1"},
    {Query::set_run_warnings, "UPDATE runs SET warnings = ?2 WHERE id = ?1"},
    {Query::list_runs, EMSYNC_RUN_COLUMNS "WHERE r.activation_id = ?1 ORDER BY r.id DESC LIMIT ?2"},
    {Query::find_run, EMSYNC_RUN_COLUMNS "WHERE r.id = ?1"},
    {Query::interrupt_unfinished_runs,
     "UPDATE runs SET status = 'interrupted', finished_at = ?1 "
     "WHERE status IN ('queued', 'running')"},
    // The oldest finished runs before ?1 that are neither their activation's
    // latest run nor its latest succeeded one, at most ?2, with their
    // rejected counters. The max(id) lookups use runs_by_activation; the
    // scan in id order stops at ?2 rows (finished_at has no index: only the
    // last, empty call reads the whole runs table, one row per run).
    {Query::prunable_runs,
     "SELECT r.id, r.rejected FROM runs AS r "
     "WHERE r.status NOT IN ('queued', 'running') AND r.finished_at < ?1 "
     "AND r.id < (SELECT max(id) FROM runs WHERE activation_id = r.activation_id) "
     "AND r.id IS NOT (SELECT max(id) FROM runs "
     "WHERE activation_id = r.activation_id AND status = 'succeeded') "
     "ORDER BY r.id LIMIT ?2"},
    {Query::delete_run_rejections, "DELETE FROM rejections WHERE run_id = ?1"},
    {Query::delete_run, "DELETE FROM runs WHERE id = ?1"},
    // Changes when another connection committed (the field slot and logged
    // contact caches are then stale).
    {Query::data_version, "PRAGMA data_version"},
    {Query::load_state_fields,
     "SELECT slot, state_key FROM state_fields WHERE activation_id = ?1 ORDER BY slot"},
    {Query::insert_state_field,
     "INSERT INTO state_fields (activation_id, slot, state_key) VALUES (?1, ?2, ?3)"},
    {Query::delete_state_fields, "DELETE FROM state_fields WHERE activation_id = ?1"},
    {Query::load_contact,
     "SELECT state FROM contact_state WHERE activation_id = ?1 AND email_hash = ?2"},
    {Query::load_logged_contact, "SELECT state FROM contact_log WHERE seq = ?1"},
    // For the migration from version 6 (commits go to contact_log). A second
    // email with the same hash64 in one activation is a duplicate email to a
    // run, so replacing its state loses nothing.
    {Query::upsert_contact,
     "INSERT INTO contact_state (activation_id, email_hash, state) VALUES (?1, ?2, ?3) "
     "ON CONFLICT (activation_id, email_hash) DO UPDATE SET state = excluded.state"},
    {Query::delete_contact,
     "DELETE FROM contact_state WHERE activation_id = ?1 AND email_hash = ?2"},
    {Query::delete_all_contacts, "DELETE FROM contact_state WHERE activation_id = ?1"},
    // One range of the primary key, in its order (no sort): email hashes are
    // stored as signed integers, so unsigned order is [0, max] then [min, -1].
    {Query::list_contact_digests,
     "SELECT email_hash, state FROM contact_state "
     "WHERE activation_id = ?1 AND email_hash BETWEEN ?2 AND ?3 ORDER BY email_hash"},
    // Plus the logged contacts not folded yet that contact_state does not
    // have, each once: one lookup per log row (a log past 65,536 contacts is
    // folded at the end of the run that wrote it, so it stays small).
    {Query::count_contacts,
     "SELECT (SELECT count(*) FROM contact_state WHERE activation_id = ?1) + "
     "(SELECT count(DISTINCT email_hash) FROM contact_log AS l WHERE activation_id = ?1 AND "
     "NOT EXISTS (SELECT 1 FROM contact_state WHERE activation_id = ?1 "
     "AND email_hash = l.email_hash))"},
    {Query::load_read_state,
     "SELECT cursor_type, watermark, last_full_read_at, fingerprint, last_full_read_rows, "
     "last_full_read_stored FROM read_state WHERE activation_id = ?1"},
    {Query::save_read_state,
     "INSERT INTO read_state (activation_id, cursor_type, watermark, last_full_read_at, "
     "fingerprint, last_full_read_rows, last_full_read_stored) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
     "?7) ON CONFLICT (activation_id) DO UPDATE SET cursor_type = excluded.cursor_type, "
     "watermark = excluded.watermark, last_full_read_at = excluded.last_full_read_at, "
     "fingerprint = excluded.fingerprint, last_full_read_rows = excluded.last_full_read_rows, "
     "last_full_read_stored = excluded.last_full_read_stored"},
    {Query::delete_read_state, "DELETE FROM read_state WHERE activation_id = ?1"},
    {Query::append_contact,
     "INSERT INTO contact_log (activation_id, email_hash, state) VALUES (?1, ?2, ?3)"},
    {Query::has_logged_contacts,
     "SELECT EXISTS (SELECT 1 FROM contact_log WHERE activation_id = ?1)"},
    {Query::count_log_entries,
     "SELECT count(*), coalesce(max(seq), 0) FROM contact_log WHERE activation_id = ?1"},
    // Every logged state in email hash order, so the B-tree is written page
    // after page, and in log order within a contact, so its latest state is
    // written last and stays. (A GROUP BY with max(seq) took 20% longer:
    // 1.9 vs 1.6 s for a million contacts.)
    {Query::fold_logged_contacts,
     "INSERT OR REPLACE INTO contact_state (activation_id, email_hash, state) "
     "SELECT ?1, email_hash, state FROM contact_log WHERE activation_id = ?1 "
     "ORDER BY email_hash, seq"},
    // Whether the log holds no other activation's rows (each bound found in
    // the index, without a scan).
    {Query::log_is_only_of,
     "SELECT coalesce((SELECT min(activation_id) FROM contact_log) = ?1 AND "
     "(SELECT max(activation_id) FROM contact_log) = ?1, 1)"},
    // No WHERE, and contact_log has no foreign key or trigger: SQLite frees
    // its pages without visiting the rows (schema 008).
    {Query::clear_contact_log, "DELETE FROM contact_log"},
    // In slices: one DELETE of a million log rows
    // holds every rowid in memory, ~22 MB at the end of a first run.
    {Query::delete_logged_contacts,
     "DELETE FROM contact_log WHERE seq IN "
     "(SELECT seq FROM contact_log WHERE activation_id = ?1 LIMIT 50000)"},
    // Gives the pages a fold freed back to the file system (when the state
    // DB was created with auto_vacuum = INCREMENTAL; else does nothing).
    {Query::free_pages, "PRAGMA incremental_vacuum"},
    {Query::list_list_members, "SELECT email FROM list_members WHERE activation_id = ?1"},
    {Query::insert_list_member,
     "INSERT OR IGNORE INTO list_members (activation_id, email, added_by_run) VALUES (?1, ?2, ?3)"},
    {Query::find_list_member,
     "SELECT added_by_run FROM list_members WHERE activation_id = ?1 AND email = ?2"},
    {Query::delete_list_member, "DELETE FROM list_members WHERE activation_id = ?1 AND email = ?2"},
    {Query::delete_list_members, "DELETE FROM list_members WHERE activation_id = ?1"},
    {Query::count_list_members, "SELECT count(*) FROM list_members WHERE activation_id = ?1"},
    {Query::load_list_id,
     "SELECT list_id FROM list_state WHERE activation_id = ?1 AND list_ref = ?2"},
    {Query::save_list_id,
     "INSERT INTO list_state (activation_id, list_ref, list_id) VALUES (?1, ?2, ?3) "
     "ON CONFLICT (activation_id) DO UPDATE SET list_ref = excluded.list_ref, "
     "list_id = excluded.list_id"},
    {Query::delete_list_state, "DELETE FROM list_state WHERE activation_id = ?1"},
    {Query::insert_rejection,
     "INSERT INTO rejections (activation_id, run_id, row_key, code, message, kind) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
    // Counted in the rejections_by_run_id index (at most 10,000 entries).
    {Query::count_run_rejections, "SELECT count(*) FROM rejections WHERE run_id = ?1"},
    {Query::add_rejections_not_kept,
     "UPDATE runs SET rejections_not_kept = rejections_not_kept + ?2 WHERE id = ?1"},
    // One page, in the order they were stored: the rejections_by_run index
    // holds a run's rows in id order, so there is no sort. ?3: a kind, or
    // NULL for every kind (a filter over at most 10,000 rows).
    {Query::list_rejections,
     "SELECT run_id, row_key, code, message, kind FROM rejections WHERE activation_id = ?1 "
     "AND run_id = ?2 AND (?3 IS NULL OR kind = ?3) ORDER BY id LIMIT ?4 OFFSET ?5"},
    {Query::count_listed_rejections,
     "SELECT count(*) FROM rejections WHERE activation_id = ?1 AND run_id = ?2 "
     "AND (?3 IS NULL OR kind = ?3)"},
    {Query::rejections_not_kept,
     "SELECT rejections_not_kept FROM runs WHERE id = ?1 AND activation_id = ?2"},
    {Query::record_rejection,
     "INSERT INTO rejection_streaks (activation_id, email, code, contact_hash, streak) "
     "VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT (activation_id, email) DO UPDATE SET "
     "streak = CASE WHEN code = excluded.code AND contact_hash = excluded.contact_hash "
     "THEN streak + 1 ELSE 1 END, code = excluded.code, contact_hash = excluded.contact_hash"},
    {Query::list_parked,
     "SELECT email, code, contact_hash, streak FROM rejection_streaks "
     "WHERE activation_id = ?1 AND streak >= ?2"},
    {Query::clear_rejection_streaks, "DELETE FROM rejection_streaks WHERE activation_id = ?1"},
    {Query::forget_rejection_streak,
     "DELETE FROM rejection_streaks WHERE activation_id = ?1 AND email = ?2"},
    {Query::insert_audit,
     "INSERT INTO audit_log (at, peer_uid, peer_gid, peer_pid, method, target, outcome, detail) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
    {Query::list_audit,
     "SELECT at, peer_uid, peer_gid, peer_pid, method, target, outcome, detail FROM audit_log "
     "ORDER BY id DESC LIMIT ?1"},
};

#undef EMSYNC_ACTIVATION_COLUMNS
#undef EMSYNC_RUN_COLUMNS
#undef EMSYNC_COUNT_COLUMNS

static_assert(std::size(k_queries) == k_query_count, "every Query needs its SQL");

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < std::size(k_queries); ++i) {
    if (static_cast<std::size_t>(k_queries[i].query) != i) {
      return false;
    }
  }
  return true;
}
static_assert(in_enum_order(), "k_queries must list the queries in enum order");

}  // namespace

std::string_view sql(Query query) { return k_queries[static_cast<std::size_t>(query)].sql; }

}  // namespace emsync::store
