#include "sync/explain.hpp"

#include <algorithm>
#include <memory>

#include "core/blocking.hpp"
#include "core/quote.hpp"
#include "sync/choice_reader.hpp"
#include "sync/diff.hpp"
#include "sync/email.hpp"
#include "sync/field_plan.hpp"
#include "sync/row_digest.hpp"
#include "sync/row_key.hpp"

namespace emsync::sync {

namespace {

// The model's rows of one email: the first one's mapped values, and how many.
class ContactRowsSink : public source::RowSink {
 public:
  ContactRowsSink(const config::Activation& activation, const std::string& email)
      : m_activation(activation), m_email(email) {}

  Result<void> on_columns(const std::vector<source::Column>& columns) override {
    auto email = index_of(columns, m_activation.email_column);
    if (!email) {
      return email.error();
    }
    m_email_index = *email;
    for (const auto& name : mapped_columns(m_activation)) {
      auto index = index_of(columns, name);
      if (!index) {
        return index.error();
      }
      m_indexes.push_back(*index);
      mapped.push_back(columns[*index]);
    }
    return ok();
  }

  Result<void> on_row(std::span<const source::Value> values) override {
    const auto& raw = values[m_email_index];
    auto email = normalize_email(raw ? std::string_view(*raw) : std::string_view());
    if (!email || *email != m_email) {
      return ok();  // the database's LOWER or TRIM took it for this one
    }
    if (++rows == 1) {
      for (const std::size_t index : m_indexes) {
        first_row.push_back(values[index]);
      }
    }
    return ok();
  }

  std::vector<source::Column> mapped;   // the columns of mapped_columns(), in that order
  std::vector<source::Value> first_row;  // their values, in that order
  std::int64_t rows = 0;

 private:
  Result<std::size_t> index_of(const std::vector<source::Column>& columns,
                               const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == name) {
        return i;
      }
    }
    return make_error(Errc::invalid_input, "activation '" + m_activation.name +
                                               "': the model has no column '" + name + "'");
  }

  const config::Activation& m_activation;
  const std::string& m_email;
  std::size_t m_email_index = 0;
  std::vector<std::size_t> m_indexes;
};

struct ContactRows {
  std::vector<source::Column> mapped;   // the columns of mapped_columns(), in that order
  std::vector<source::Value> first_row;  // their values, in that order
  std::int64_t rows = 0;
};

// The model's rows of `email`: one read, the email bound (EmailFilter).
// Blocking.
Result<ContactRows> read_contact_rows(const config::Activation& activation,
                                      const ModelSource& model, const std::string& email) {
  source::QueryOptions options = model.query_options;
  options.columns_only = false;
  options.filter.reset();
  options.email_filter = source::EmailFilter{activation.email_column, email};
  ContactRowsSink sink(activation, email);
  EMSYNC_TRY(model.rows.stream(activation.query, options, sink));
  return ContactRows{std::move(sink.mapped), std::move(sink.first_row), sink.rows};
}

// What the state DB remembers of the contact (ContactStory's first part).
Result<void> read_state(const ExplainRequest& request, store::StateStore& store,
                        ContactStory& story) {
  auto states = store.load_contacts(request.activation_id, {story.email});
  if (!states) {
    return states.error();
  }
  story.stored = std::move(states->front());
  if (story.stored && story.stored->acknowledged_by_run > 0) {
    auto run = store.find_run(story.stored->acknowledged_by_run);
    if (!run) {
      return run.error();
    }
    story.acknowledged_run = std::move(*run);
  }
  if (request.park_after > 0) {
    auto parked = store.list_parked(request.activation_id, request.park_after);
    if (!parked) {
      return parked.error();
    }
    for (auto& streak : *parked) {
      if (streak.email == story.email) {
        story.parked = std::move(streak);
      }
    }
  }
  // The newest run may be queued behind a running one.
  auto runs = store.list_runs(request.activation_id, 2);
  if (!runs) {
    return runs.error();
  }
  for (auto& run : *runs) {
    if (run.status != store::RunStatus::queued) {
      story.last_run = std::move(run);
      break;
    }
  }
  if (!story.last_run) {
    return ok();
  }
  auto rows = store.list_rejections(request.activation_id, story.last_run->id, std::nullopt, 0,
                                    static_cast<int>(store::k_max_kept_rejections));
  if (!rows) {
    return rows.error();
  }
  const std::string key = request.hash_row_keys ? hashed_row_key(story.email) : story.email;
  for (auto& row : rows->rejections) {
    if (row.row_key == key) {
      story.last_run_rows.push_back(std::move(row));
    }
  }
  return ok();
}

// The field stories of a diffed row, in plan order.
std::vector<FieldStory> field_stories(const std::vector<PlannedField>& plan,
                                      const std::vector<MappedValue>& values,
                                      const ContactChange& change,
                                      const std::optional<store::ContactState>& stored) {
  std::vector<FieldStory> out;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    FieldStory story{plan[i].column, plan[i].field_id, false, FieldChange::not_sent, std::nullopt};
    if (stored) {
      story.stored = std::any_of(stored->fields.begin(), stored->fields.end(),
                                 [&](const auto& field) { return field.key == plan[i].state_key; });
    }
    const auto sent = std::find_if(change.changed.begin(), change.changed.end(),
                                   [&](const auto& entry) { return entry.first == values[i].field_id; });
    if (sent != change.changed.end()) {
      story.value = sent->second;
      story.change = !values[i].json ? FieldChange::cleared
                     : story.stored  ? FieldChange::changed
                                     : FieldChange::new_value;
    } else if (values[i].json) {
      story.change = FieldChange::unchanged;
    }
    out.push_back(std::move(story));
  }
  return out;
}

// Counts the contact's rows in `story`; false when the run decides without
// its fields (not in the model, or in several rows).
bool judge_rows(const ContactRows& rows, ContactStory& story) {
  story.model_rows = rows.rows;
  if (rows.rows == 0) {
    story.next = NextRun::not_in_model;
    return false;
  }
  if (rows.rows > 1) {
    story.next = NextRun::rejected;
    story.next_code = "duplicate_email";
    story.next_message = "email " + quote_value(story.email) + " appears in " +
                         std::to_string(rows.rows) +
                         " rows of the model; none of them is sent (make the model return one "
                         "row per email)";
    return false;
  }
  return true;
}

// Plans the fields as a run does (nullopt, with the reason in the story,
// when the next run would first create a field or cannot plan them).
std::optional<std::vector<PlannedField>> plan_contact_fields(
    const config::Activation& activation, const ContactRows& rows,
    const std::vector<emarsys::Field>& fields, ContactStory& story) {
  const auto missing = missing_custom_fields(activation, rows.mapped, fields);
  if (!missing.empty()) {
    story.next_message = "the next run first creates the Emarsys field '" +
                         missing.front().name + "'" +
                         (missing.size() > 1 ? " and " + std::to_string(missing.size() - 1) +
                                                   " more"
                                             : std::string()) +
                         ", then sends every value of it";
    return std::nullopt;
  }
  auto plan = plan_fields(activation, rows.mapped, fields);
  if (!plan) {
    story.next_message = plan.error().message;
    return std::nullopt;
  }
  return std::move(*plan);
}

// Diffs the contact's one row with its planned fields (their choices read):
// the next run's verdict and the field stories.
void judge_fields(const std::vector<PlannedField>& plan, const ContactRows& rows,
                  ContactStory& story) {
  auto values = mapped_values(plan, rows.first_row);
  if (!values) {
    story.next = NextRun::rejected;
    story.next_code = rejection_code(values.error());
    story.next_message = values.error().message;
    return;
  }
  const ContactChange change =
      diff_contact(*values, story.stored, false, RowDigester(plan)(rows.first_row));
  story.fields = field_stories(plan, *values, change, story.stored);
  if (change.unchanged) {
    story.next = NextRun::unchanged;
  } else if (story.parked && story.parked->contact_hash == change.new_state.contact_hash) {
    story.next = NextRun::parked;
    story.next_code = story.parked->code;
  } else {
    story.next = NextRun::send;
  }
}

// A list activation's verdict (explain.hpp), once judge_rows() found the
// email in one row of the model or in none.
void judge_list_member(const ContactRows& rows, ContactStory& story) {
  const bool member = story.list_member.value_or(false);
  if (rows.rows == 0) {
    story.next = member ? NextRun::remove : NextRun::not_in_model;
  } else if (member) {
    story.next = NextRun::unchanged;
  } else if (story.parked) {
    story.next = NextRun::parked;
    story.next_code = story.parked->code;
  } else {
    story.next = NextRun::add;
  }
}

// Whether the email is a member emsync added to the activation's list, and
// by which run (ContactStory's list part). Blocking.
Result<void> read_membership(const ExplainRequest& request, store::StateStore& store,
                             ContactStory& story) {
  auto member = store.find_list_member(request.activation_id, story.email);
  if (!member) {
    return member.error();
  }
  story.list_member = member->has_value();
  story.added_by_run = member->value_or(0);
  if (story.added_by_run > 0) {
    auto run = store.find_run(story.added_by_run);
    if (!run) {
      return run.error();
    }
    story.acknowledged_run = std::move(*run);
  }
  return ok();
}

// The story's state DB part and the model's rows of the email: true when
// the row's fields are to be planned and diffed (explain_contact). Blocking.
Result<bool> read_story(const ExplainRequest& request, const RunResources& resources,
                        ContactStory& story, ContactRows& rows) {
  auto email = normalize_email(request.email);
  if (!email) {
    return email.error();
  }
  story.email = std::move(*email);
  EMSYNC_TRY(read_state(request, resources.store, story));
  const bool list = request.activation.mode == config::Mode::list;
  if (list) {
    EMSYNC_TRY(read_membership(request, resources.store, story));
  }
  auto found = read_contact_rows(request.activation, resources.model, story.email);
  if (!found) {
    return found.error();
  }
  rows = std::move(*found);
  const bool one_row = judge_rows(rows, story);
  if (list && (one_row || rows.rows == 0)) {
    judge_list_member(rows, story);
  }
  return one_row && !list;  // a list activation plans no field
}

}  // namespace

const char* to_string(FieldChange change) {
  switch (change) {
    case FieldChange::new_value:
      return "new";
    case FieldChange::changed:
      return "changed";
    case FieldChange::unchanged:
      return "unchanged";
    case FieldChange::cleared:
      return "cleared";
    case FieldChange::not_sent:
      break;
  }
  return "not_sent";
}

const char* to_string(NextRun next) {
  switch (next) {
    case NextRun::send:
      return "send";
    case NextRun::unchanged:
      return "unchanged";
    case NextRun::rejected:
      return "rejected";
    case NextRun::parked:
      return "parked";
    case NextRun::not_in_model:
      return "not_in_model";
    case NextRun::add:
      return "add";
    case NextRun::remove:
      return "remove";
    case NextRun::unknown:
      break;
  }
  return "unknown";
}

boost::asio::awaitable<Result<ContactStory>> explain_contact(const ExplainRequest& request,
                                                             const RunResources& resources) {
  // The story and the rows on the heap, the frame small: GCC 12 draws a
  // false -Wmismatched-new-delete from a larger one.
  auto story = std::make_unique<ContactStory>();
  auto rows = std::make_unique<ContactRows>();
  auto read = co_await on_pool(resources.pool,
                               [&] { return read_story(request, resources, *story, *rows); });
  if (!read) {
    co_return read.error();
  }
  if (*read) {
    auto fields = co_await resources.destination.api.list_fields(nullptr);
    if (!fields) {
      co_return fields.error();
    }
    auto plan = plan_contact_fields(request.activation, *rows, *fields, *story);
    if (plan) {
      if (auto read_choice = co_await read_choices(resources.destination.api, *plan, nullptr);
          !read_choice) {
        co_return read_choice.error();
      }
      judge_fields(*plan, *rows, *story);
    }
  }
  co_return std::move(*story);
}

}  // namespace emsync::sync
