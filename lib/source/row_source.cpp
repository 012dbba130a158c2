#include "source/row_source.hpp"

namespace emsync::source {

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
  }
  return "unknown";
}

}  // namespace emsync::source
