// What a run measured, and how it is printed (text for people, one JSON
// object for scripts; the fields are listed in the usage text, options.cc).
//
// Latencies go into a log-linear histogram (128 steps per power of two, so a
// percentile is within 0.4% of the true value) with fixed memory and no
// allocation per request; every worker has its own, merged at the end.
//
// Thread safety: values; a Histogram is written by one worker only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace strata::bench {

class LatencyHistogram {
 public:
  void Record(std::chrono::nanoseconds latency);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // q in [0, 1]. Never more than max(), so p50 <= p90 <= p99 <= max holds.
  std::chrono::nanoseconds Percentile(double q) const;
  std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_ns_); }
  std::chrono::nanoseconds mean() const;

 private:
  static constexpr int kSubBits = 7;  // 128 steps per power of two
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static size_t BucketOf(uint64_t ns);
  static uint64_t LowerBoundOf(size_t bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ns_ = 0;
  long double sum_ns_ = 0;
};

struct OpError {
  std::string op;       // "PUT", "GET", ...
  int status = 0;       // 0: connection error
  std::string code;     // S3 <Code>, if the body had one
  std::string message;  // S3 <Message> or the connection error
};

// "PUT: HTTP 403 SignatureDoesNotMatch (message)" or "GET: connection error: ...".
std::string DescribeError(const OpError& e);

// Counts per request type (mixed reports all of them).
struct OpCounts {
  uint64_t get = 0, put = 0, head = 0, del = 0, list = 0;
};

struct CleanupResult {
  uint64_t deleted = 0;
  uint64_t errors = 0;
  bool bucket_deleted = false;
  std::optional<OpError> first_error;
};

struct Report {
  std::string workload, endpoint, bucket;
  uint64_t size_bytes = 0;
  size_t concurrency = 0, threads = 0;
  uint64_t objects_prepared = 0;
  double duration_s = 0;
  uint64_t ops = 0;
  uint64_t bytes = 0;
  std::optional<uint64_t> keys;  // list only
  OpCounts by_type;
  LatencyHistogram latency;
  uint64_t errors = 0;
  std::optional<OpError> first_error;
  CleanupResult cleanup;
};

std::string FormatText(const Report& r);
std::string FormatJson(const Report& r);

}  // namespace strata::bench
