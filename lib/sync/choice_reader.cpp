#include "sync/choice_reader.hpp"

#include <map>
#include <memory>

namespace emsync::sync {

boost::asio::awaitable<Result<void>> read_choices(emarsys::ContactApi& api,
                                                  std::vector<PlannedField>& plan,
                                                  emarsys::RequestStats* stats) {
  std::map<std::int64_t, std::shared_ptr<const ChoiceTable>> read;
  for (PlannedField& field : plan) {
    const bool single = field.type == FieldType::singlechoice;
    if (!single && field.type != FieldType::multichoice) {
      continue;
    }
    auto& table = read[field.field_id];
    if (!table) {
      auto choices = co_await api.list_choices(
          field.field_id, single ? emarsys::ChoiceKind::single : emarsys::ChoiceKind::multi,
          stats);
      if (!choices) {
        co_return choices.error();
      }
      table = std::make_shared<const ChoiceTable>(field.field_id, field.field_name,
                                                  std::move(*choices));
    }
    field.choices = table;
  }
  co_return ok();
}

}  // namespace emsync::sync
