// emarsys-sim: an in-memory SAP Emarsys Core API test double for emsync's
// integration tests and quick start. Prints "listening on <port>" once
// ready, serves until SIGINT/SIGTERM, exits 0. See README.md.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/server.hpp"
#include "sim/simulator.hpp"

int main(int argc, char** argv) {
  using namespace emsync::sim;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage(), stdout);
      return 0;
    }
  }
  try {
    const Config config = parse_args(args);
    Simulator simulator(config);
    Server server(config, simulator);
    std::printf("listening on %u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    server.run();
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "emarsys-sim: %s\n%s", e.what(), usage());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emarsys-sim: %s\n", e.what());
    return 1;
  }
}
