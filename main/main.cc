// The `strata` binary: one command per role (docs/ARCHITECTURE.md).
#include <malloc.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "common/log.h"
#include "main/commands.h"

int main(int argc, char** argv) {
  // Stripe buffers (about 1 MiB) are allocated and freed per request. glibc
  // would hand them out as fresh mmaps: a page fault and a page clear per
  // 4 KiB, then munmap, on every stripe. Keep them in the heap for reuse.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Every role: STRATA_LOG_LEVEL=debug adds the debug lines.
  if (const char* level = std::getenv("STRATA_LOG_LEVEL"); level && std::string(level) == "debug") {
    strata::log::SetMinLevel(strata::log::Level::kDebug);
  }
  std::string command = argc >= 2 ? argv[1] : "";
  if (command == "server" || command == "gateway") return strata::ServerMain(argc, argv);
  if (command == "node") return strata::NodeMain(argc, argv);
  if (command == "admin") return strata::AdminMain(argc, argv);
  if (command == "version" || command == "--version") {
    std::cout << "strata 0.1.0\n";
    return 0;
  }
  std::cerr << (command.empty() ? "strata: missing command\n" : "strata: unknown command " + command + "\n")
            << "usage: strata server [...]      the embedded server (strata server --help)\n"
               "       strata node [...]        a storage node of a cluster (strata node --help)\n"
               "       strata gateway [...]     an S3 gateway over a cluster's nodes\n"
               "       strata admin [...]       operator commands (strata admin --help)\n"
               "       strata version\n";
  return 2;
}
