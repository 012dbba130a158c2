// Activations for store tests: only the name, destination and query vary.
#pragma once

#include <string>

#include "config/activation.hpp"

namespace emsync::store::test {

// A valid activation `name` of source "warehouse" sending `query` to `destination`.
inline config::Activation activation(const std::string& name,
                                     const std::string& destination = "emarsys",
                                     const std::string& query = "SELECT 1") {
  config::Activation activation;
  activation.name = name;
  activation.source = "warehouse";
  activation.destination = destination;
  activation.query = query;
  return activation;
}

}  // namespace emsync::store::test
