// ODBC text (lib/core/odbc_attributes.hpp, lib/source/odbc_connection.hpp,
// odbc_types.hpp): a connection string from the config, and the values and
// column names a driver returns.
//
// Input: one byte choosing the part, then the text.
//   0: a connection string. Invariants: what parses, written back with each
//      value braced, parses to the same attributes; the secret added for
//      connecting reads back as itself.
//   1-3: a fetched value canonicalized as a boolean, GUID or timestamp.
//      Invariant: canonical text is canonical (canonicalizing it again keeps
//      it).
//   4: the bytes as UTF-16 units (a column name, a wide value). Invariant:
//      what comes out is valid UTF-8.
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "core/odbc_attributes.hpp"
#include "source/odbc_connection.hpp"
#include "source/odbc_types.hpp"

namespace {

using namespace emsync;

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3
                               : (lead >> 3) == 30                  ? 4
                                                                    : 0;
    if (length == 0 || i + length > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) {
        return false;
      }
    }
    i += length;
  }
  return true;
}

void check_connection_string(std::string_view text) {
  const auto attributes = parse_odbc_attributes(text);
  if (!attributes) {
    return;
  }
  std::string written;
  for (const auto& attribute : *attributes) {
    written += attribute.key + "=" + brace_odbc_value(attribute.value) + ";";
  }
  const auto again = parse_odbc_attributes(written);
  FUZZ_CHECK(again && again->size() == attributes->size());
  for (std::size_t i = 0; i < attributes->size(); ++i) {
    FUZZ_CHECK((*again)[i].value == (*attributes)[i].value);
  }
  const std::string secret(text.substr(0, std::min<std::size_t>(text.size(), 12)));
  const auto connect = parse_odbc_attributes(source::odbc_connect_string(written, secret));
  FUZZ_CHECK(connect && connect->size() == attributes->size() + 1);
  FUZZ_CHECK(connect->back().value == secret);
  FUZZ_CHECK(valid_utf8(source::odbc_description(text)) || !valid_utf8(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      check_connection_string(text);
      break;
    case 1:
    case 2:
    case 3: {
      const source::OdbcConversion conversions[] = {source::OdbcConversion::boolean,
                                                    source::OdbcConversion::guid,
                                                    source::OdbcConversion::timestamp};
      const auto conversion = conversions[data[0] % 5 - 1];
      std::string value(text);
      source::canonicalize(conversion, value);
      std::string again = value;
      source::canonicalize(conversion, again);
      FUZZ_CHECK(again == value);
      break;
    }
    default: {
      std::vector<SQLWCHAR> units(text.size() / 2);
      if (!units.empty()) {
        std::memcpy(units.data(), text.data(), units.size() * sizeof(SQLWCHAR));
      }
      std::string out;
      source::append_utf8(out, units);
      FUZZ_CHECK(valid_utf8(out));
      FUZZ_CHECK(valid_utf8(source::odbc_column_name(units)));
      break;
    }
  }
  return 0;
}
