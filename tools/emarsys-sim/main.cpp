// emarsys-sim: an in-memory SAP Emarsys Core API test double for emsync's
// integration tests and quick start. Prints "listening on <port>" once
// ready, serves until SIGINT/SIGTERM, exits 0. See README.md.
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "sim/config.hpp"
#include "sim/server.hpp"
#include "sim/simulator.hpp"

namespace {

// Requests are served one at a time under one mutex, and the contact store
// only grows: one heap, grown 64 MiB at a time and never trimmed, and request
// bodies (~0.5 MB) reused from it instead of mmap'ed and faulted in afresh.
// The simulator's CPU per contact was a fifth page faults and heap growth.
void tune_allocator() {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace emsync::sim;
  tune_allocator();
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
