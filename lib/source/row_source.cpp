#include "source/row_source.hpp"

namespace emsync::source {

Result<void> RowSink::on_rows(std::span<const Value> values, std::size_t columns) {
  for (std::size_t first = 0; first + columns <= values.size() && columns > 0; first += columns) {
    EMSYNC_TRY(on_row(values.subspan(first, columns)));
  }
  return ok();
}

const char* to_string(ColumnType type) {
  switch (type) {
    case ColumnType::text:
      return "text";
    case ColumnType::integer:
      return "integer";
    case ColumnType::numeric:
      return "numeric";
    case ColumnType::boolean:
      return "boolean";
    case ColumnType::date:
      return "date";
    case ColumnType::timestamp:
      return "timestamp";
    case ColumnType::binary:
      return "binary";
  }
  return "unknown";
}

const char* to_string(PostgresReadMode mode) {
  switch (mode) {
    case PostgresReadMode::copy:
      return "copy";
    case PostgresReadMode::cursor:
      return "cursor";
    case PostgresReadMode::automatic:
      return "auto";
  }
  return "unknown";
}

}  // namespace emsync::source
