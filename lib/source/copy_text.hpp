// Decoding PostgreSQL's COPY text format (pure; no libpq).
#pragma once

#include <span>
#include <string_view>

#include "source/row_source.hpp"

namespace emsync::source {

// Splits one COPY TO STDOUT text line (without its newline) at tabs into
// `values`, undoing COPY's escapes: `\N` alone is NULL; `\b \f \n \r \t \v`,
// `\\`, octal `\ooo` and hex `\xhh` are decoded; a backslash before any other
// character yields that character. Returns false when the line does not have
// exactly values.size() fields.
bool decode_copy_line(std::string_view line, std::span<Value> values);

}  // namespace emsync::source
