// What a config's sources and destinations become: the RowSource of a source
// and the emarsys::ClientConfig of a destination, for runs, checks and
// `emsyncd --check-config --connect` alike.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "emarsys/client.hpp"
#include "source/row_source.hpp"

namespace emsync::service {

// `password` read from the source's secret (none when it names none).
std::unique_ptr<source::RowSource> make_source(const config::SourceConfig& source,
                                               const std::optional<std::string>& password);

// `secret`: the WSSE secret or the OAuth client secret, read from the
// destination's secret (wipe() the result's once done).
emarsys::ClientConfig client_config(const config::DestinationConfig& destination,
                                    std::string secret);

// `settings` for `emsyncd --check-config --connect`, which must answer
// within seconds: 2 attempts of at most 10 s each, not a run's patient
// retries.
emarsys::ClientConfig check_settings(emarsys::ClientConfig settings);

}  // namespace emsync::service
