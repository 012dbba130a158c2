// The ODBC row source (placeholder until the implementation lands).
#include "source/row_source.hpp"

namespace emsync::source {
namespace {

class OdbcRowSource final : public RowSource {
 public:
  Result<void> stream(const std::string& /*query*/, const QueryOptions& /*options*/,
                      RowSink& /*sink*/) override {
    return make_error(Errc::source_error, "the ODBC source is not built yet");
  }
};

}  // namespace

std::unique_ptr<RowSource> make_odbc_source(std::string /*connection_string*/,
                                            std::optional<std::string> /*password*/) {
  return std::make_unique<OdbcRowSource>();
}

}  // namespace emsync::source

// Placeholder until the implementation lands.
#include "source/odbc_driver.hpp"

namespace emsync::source {

std::optional<std::string> odbc_driver_problem(const std::string& /*connection_string*/) {
  return std::nullopt;
}

}  // namespace emsync::source
