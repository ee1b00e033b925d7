// strata-bench's command line: the options of one run and their parser.
//
// Parsing is a pure function of argv, so bad arguments are reported before
// anything touches the network (exit status 2, as the usage text says).
//
// Thread safety: values only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace strata::bench {

enum class Workload { kPut, kGet, kHead, kMixed, kList, kUrl, kPresign };

std::string_view WorkloadName(Workload w);

struct Options {
  // Required: where and who.
  std::string endpoint;    // "http://127.0.0.1:9000"
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  Workload workload = Workload::kPut;

  uint64_t size = 4096;                  // object size in bytes (--size)
  size_t concurrency = 16;               // connections, one request in flight each
  size_t threads = 1;                    // io_context threads sharing the connections
  std::chrono::milliseconds duration{10000};
  // Objects prepared before a get/head/mixed/list run; 0 = the workload's
  // default (see DefaultObjects).
  size_t objects = 0;
  std::string bucket;                    // empty: a fresh strata-bench-<random>
  bool json = false;

  // presign: the key (empty = the bucket itself), method and expiry.
  // url: the URL and the method (GET or HEAD).
  std::string key;
  std::string method = "GET";
  int64_t expires_seconds = 3600;
  std::string url;
};

// The number of objects a workload prepares when --objects is not given:
// 1000 keys for list; for get/head/mixed 100 objects, but no more than fit in
// 1 GiB (at least one).
size_t DefaultObjects(const Options& o);

// Parses argv[1..]. Any error (unknown flag or workload, bad size or duration,
// missing endpoint or credentials) is kInvalidArgument with a message for the
// user; "--help" is reported as kAborted so the caller prints Usage().
Result<Options> ParseArgs(const std::vector<std::string_view>& args);

// "4096", "4096B", "4KiB", "1MiB", "2GiB"; "4KB", "1MB", "1GB" are powers of
// ten. Anything else is an error.
Result<uint64_t> ParseSize(std::string_view text);
// "10s", "500ms", "2m"; a bare number means seconds. Must be > 0.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The --help text, including the JSON fields of --json.
std::string_view Usage();

}  // namespace strata::bench
