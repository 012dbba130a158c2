// The activations of the state DB: apply, list, find, delete, pause and the
// failure streak. A stored definition is parsed here, when its row is read.
#include <nlohmann/json.hpp>
#include <utility>

#include "config/activation.hpp"
#include "store/sqlite_state_store.hpp"
#include "store/state_store.hpp"

namespace emsync::store {
namespace {

// The stored definition of the activation `name` sending to `destination`:
// one valid activation of that name and destination, else an error that says
// what is wrong and what to do.
Result<config::Activation> parse_stored(const std::string& name, const std::string& destination,
                                        const std::string& text) {
  auto parsed = config::parse_activations(text);
  std::string problem;
  if (!parsed) {
    problem = parsed.error().message;
  } else if (parsed->size() != 1) {
    problem = "it holds " + std::to_string(parsed->size()) + " activations, not one";
  } else if (parsed->front().name != name || parsed->front().destination != destination) {
    problem = "it names activation '" + parsed->front().name + "' with destination '" +
              parsed->front().destination + "', but its row is '" + name + "' with '" +
              destination + "'";
  } else {
    return std::move(parsed->front());
  }
  return make_error(Errc::invalid_input,
                    "the stored definition of activation '" + name +
                        "' is not valid (written by a newer emsync, or edited by hand?): " +
                        problem + "; apply the activation again");
}

// Reads a row of EMSYNC_ACTIVATION_COLUMNS (queries.cpp).
ActivationRecord read_activation(const Statement& row) {
  ActivationRecord record;
  record.id = row.get_int64(0);
  record.name = row.get_text(1);
  record.stored_text = row.get_text(2);
  record.destination = row.get_text(3);
  auto definition = parse_stored(record.name, record.destination, record.stored_text);
  if (definition) {
    record.definition = std::make_shared<const config::Activation>(std::move(*definition));
  } else {
    record.definition_error = definition.error().message;
  }
  record.created_at = row.get_int64(4);
  record.updated_at = row.get_int64(5);
  record.paused = row.get_int64(6) != 0;
  record.failure_streak = static_cast<int>(row.get_int64(7));
  record.auto_paused_reason = row.get_optional_text(8);
  return record;
}

}  // namespace

Result<void> SqliteStateStore::apply_activations(
    const std::vector<config::Activation>& activations) {
  std::lock_guard lock(m_mutex);
  auto transaction = Transaction::begin(m_db);
  if (!transaction) {
    return transaction.error();
  }
  const UnixMillis now = now_millis();
  for (const config::Activation& activation : activations) {
    auto applied = upsert_activation(activation, now);
    if (!applied) {
      return make_error(Errc::state_error, "cannot store activation '" + activation.name +
                                               "': " + applied.error().message);
    }
  }
  return transaction->commit();
}

Result<void> SqliteStateStore::upsert_activation(const config::Activation& activation,
                                                 UnixMillis now) {
  std::optional<ActivationRecord> existing;
  {
    auto find = use(Query::find_activation);
    find->bind_all(activation.name);
    auto row = find->step();
    if (!row) {
      return row.error();
    }
    if (*row) {
      existing = read_activation(*find);
    }
  }
  const std::string definition = config::to_json(activation).dump();
  if (!existing) {
    auto insert = use(Query::insert_activation);
    insert->bind_all(activation.name, definition, activation.destination, now);
    return insert->run();
  }
  if (existing->stored_text == definition && existing->destination == activation.destination) {
    return ok();
  }
  {
    auto update = use(Query::update_activation);
    update->bind_all(existing->id, definition, activation.destination, now);
    EMSYNC_TRY(update->run());
  }
  // A list activation's members are those of one list of one destination.
  const auto& before = existing->definition;
  if (!before || before->mode != activation.mode || before->list != activation.list ||
      existing->destination != activation.destination) {
    EMSYNC_TRY(drop_list_state_locked(existing->id));
  }
  if (existing->destination == activation.destination) {
    return ok();
  }
  // Another destination has none of these contacts: the next run reads and
  // sends all, and the field slots start again. The read state goes too, or
  // an incremental read would skip the rows of contacts no longer stored.
  m_field_slots.erase(existing->id);
  m_logged.erase(existing->id);
  auto drop = use(Query::delete_all_contacts);
  drop->bind_all(existing->id);
  EMSYNC_TRY(drop->run());
  EMSYNC_TRY(delete_contact_log_locked(existing->id));
  auto drop_slots = use(Query::delete_state_fields);
  drop_slots->bind_all(existing->id);
  EMSYNC_TRY(drop_slots->run());
  auto drop_read_state = use(Query::delete_read_state);
  drop_read_state->bind_all(existing->id);
  return drop_read_state->run();
}

Result<std::vector<ActivationRecord>> SqliteStateStore::list_activations() {
  std::lock_guard lock(m_mutex);
  auto list = use(Query::list_activations);
  return read_rows<ActivationRecord>(*list, read_activation);
}

Result<std::optional<ActivationRecord>> SqliteStateStore::find_activation(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto find = use(Query::find_activation);
  find->bind_all(name);
  auto row = find->step();
  if (!row) {
    return row.error();
  }
  return *row ? std::optional(read_activation(*find)) : std::nullopt;
}

Result<bool> SqliteStateStore::delete_activation(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto remove = use(Query::delete_activation);
  remove->bind_all(name);
  // Its id may be given to the next new activation: forget its field slots,
  // what it logged and its list members.
  m_field_slots.clear();
  m_logged.clear();
  m_list_members.forget_all();
  // Runs, contact state and log, field slots, read state and rejections
  // cascade.
  EMSYNC_TRY(remove->run());
  return m_db.changes() > 0;
}

Result<bool> SqliteStateStore::set_paused(const std::string& name, bool paused) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::set_paused);
  update->bind_all(name, static_cast<std::int64_t>(paused ? 1 : 0));
  EMSYNC_TRY(update->run());
  return m_db.changes() > 0;
}

Result<int> SqliteStateStore::record_run_health(const std::string& name, bool needs_attention) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::record_run_health);
  update->bind_all(name, static_cast<std::int64_t>(needs_attention ? 1 : 0));
  auto row = update->step();
  if (!row) {
    return row.error();
  }
  const int streak = *row ? static_cast<int>(update->get_int64(0)) : 0;
  EMSYNC_TRY(update->run());  // finish the statement
  return streak;
}

Result<void> SqliteStateStore::set_auto_paused(const std::string& name,
                                               const std::optional<std::string>& reason) {
  std::lock_guard lock(m_mutex);
  auto update = use(Query::set_auto_paused);
  update->bind_all(name, reason);
  return update->run();
}

}  // namespace emsync::store
