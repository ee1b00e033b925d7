// Latency histogram and the text / JSON rendering of a Report.
#include "tools/bench/report.h"

#include <bit>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace strata::bench {

// Bucket layout: values below 2^kSubBits have a bucket each; above, each
// power of two [2^e, 2^(e+1)) is cut into 2^kSubBits equal steps.
size_t LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns < (uint64_t{1} << kSubBits)) return static_cast<size_t>(ns);
  int e = std::bit_width(ns) - 1;  // >= kSubBits
  uint64_t step = (ns >> (e - kSubBits)) - (uint64_t{1} << kSubBits);
  return (static_cast<size_t>(e - kSubBits + 1) << kSubBits) + static_cast<size_t>(step);
}

uint64_t LatencyHistogram::LowerBoundOf(size_t bucket) {
  size_t group = bucket >> kSubBits;
  uint64_t step = bucket & ((size_t{1} << kSubBits) - 1);
  if (group == 0) return step;
  int e = static_cast<int>(group) + kSubBits - 1;
  return ((uint64_t{1} << kSubBits) + step) << (e - kSubBits);
}

void LatencyHistogram::Record(std::chrono::nanoseconds latency) {
  uint64_t ns = latency.count() < 0 ? 0 : static_cast<uint64_t>(latency.count());
  ++buckets_[BucketOf(ns)];
  ++count_;
  if (ns > max_ns_) max_ns_ = ns;
  sum_ns_ += static_cast<long double>(ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  if (other.max_ns_ > max_ns_) max_ns_ = other.max_ns_;
  sum_ns_ += other.sum_ns_;
}

std::chrono::nanoseconds LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return std::chrono::nanoseconds(0);
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      // The middle of the bucket: within half a step (0.4%) of the truth.
      uint64_t low = LowerBoundOf(i);
      uint64_t high = i + 1 < buckets_.size() ? LowerBoundOf(i + 1) - 1 : max_ns_;
      uint64_t mid = low + (high - low) / 2;
      return std::chrono::nanoseconds(std::min(mid, max_ns_));
    }
  }
  return max();
}

std::chrono::nanoseconds LatencyHistogram::mean() const {
  if (count_ == 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(sum_ns_ / count_));
}

std::string DescribeError(const OpError& e) {
  std::string s = e.op + ": ";
  if (e.status == 0) return s + "connection error: " + e.message;
  s += "HTTP " + std::to_string(e.status);
  if (!e.code.empty()) s += " " + e.code;
  if (!e.message.empty()) s += " (" + e.message + ")";
  return s;
}

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double Ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }
double Rate(double n, double seconds) { return seconds > 0 ? n / seconds : 0; }
// Three significant decimals are plenty for rates and milliseconds.
double Round3(double v) { return std::round(v * 1000.0) / 1000.0; }

nlohmann::json ErrorJson(const std::optional<OpError>& e) {
  if (!e) return nullptr;
  return {{"op", e->op}, {"status", e->status}, {"code", e->code}, {"message", e->message}};
}

}  // namespace

std::string FormatJson(const Report& r) {
  const LatencyHistogram& h = r.latency;
  nlohmann::json j = {
      {"workload", r.workload},
      {"endpoint", r.endpoint},
      {"bucket", r.bucket},
      {"size_bytes", r.size_bytes},
      {"concurrency", r.concurrency},
      {"threads", r.threads},
      {"objects_prepared", r.objects_prepared},
      {"duration_s", Round3(r.duration_s)},
      {"ops", r.ops},
      {"ops_per_s", Round3(Rate(static_cast<double>(r.ops), r.duration_s))},
      {"bytes", r.bytes},
      {"mib_per_s", Round3(Rate(static_cast<double>(r.bytes) / kMiB, r.duration_s))},
      {"ops_by_type",
       {{"get", r.by_type.get},
        {"put", r.by_type.put},
        {"head", r.by_type.head},
        {"delete", r.by_type.del},
        {"list", r.by_type.list}}},
      {"latency_ms",
       {{"mean", Round3(Ms(h.mean()))},
        {"p50", Round3(Ms(h.Percentile(0.50)))},
        {"p90", Round3(Ms(h.Percentile(0.90)))},
        {"p99", Round3(Ms(h.Percentile(0.99)))},
        {"max", Round3(Ms(h.max()))}}},
      {"errors", r.errors},
      {"first_error", ErrorJson(r.first_error)},
      {"cleanup",
       {{"deleted", r.cleanup.deleted},
        {"errors", r.cleanup.errors},
        {"bucket_deleted", r.cleanup.bucket_deleted}}},
  };
  if (r.keys) {
    j["keys"] = *r.keys;
    j["keys_per_s"] = Round3(Rate(static_cast<double>(*r.keys), r.duration_s));
  }
  return j.dump();
}

std::string FormatText(const Report& r) {
  const LatencyHistogram& h = r.latency;
  char line[512];
  std::string out;
  std::snprintf(line, sizeof line,
                "strata-bench %s: %s, bucket %s, size %llu B, concurrency %zu, %zu thread(s)\n",
                r.workload.c_str(), r.endpoint.c_str(), r.bucket.c_str(),
                static_cast<unsigned long long>(r.size_bytes), r.concurrency, r.threads);
  out += line;
  std::snprintf(line, sizeof line,
                "  %llu ops in %.2f s: %.1f ops/s, %.2f MiB/s (%llu objects prepared)\n",
                static_cast<unsigned long long>(r.ops), r.duration_s,
                Rate(static_cast<double>(r.ops), r.duration_s),
                Rate(static_cast<double>(r.bytes) / kMiB, r.duration_s),
                static_cast<unsigned long long>(r.objects_prepared));
  out += line;
  if (r.keys) {
    std::snprintf(line, sizeof line, "  %llu keys listed: %.0f keys/s\n",
                  static_cast<unsigned long long>(*r.keys),
                  Rate(static_cast<double>(*r.keys), r.duration_s));
    out += line;
  }
  if (r.workload == "mixed") {
    std::snprintf(line, sizeof line, "  GET %llu, HEAD %llu, PUT %llu, DELETE %llu\n",
                  static_cast<unsigned long long>(r.by_type.get),
                  static_cast<unsigned long long>(r.by_type.head),
                  static_cast<unsigned long long>(r.by_type.put),
                  static_cast<unsigned long long>(r.by_type.del));
    out += line;
  }
  std::snprintf(line, sizeof line,
                "  latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
                Ms(h.mean()), Ms(h.Percentile(0.5)), Ms(h.Percentile(0.9)),
                Ms(h.Percentile(0.99)), Ms(h.max()));
  out += line;
  std::snprintf(line, sizeof line, "  errors: %llu\n",
                static_cast<unsigned long long>(r.errors));
  out += line;
  if (r.first_error) out += "  first error: " + DescribeError(*r.first_error) + "\n";
  std::snprintf(line, sizeof line, "  cleanup: %llu objects deleted, %llu errors%s\n",
                static_cast<unsigned long long>(r.cleanup.deleted),
                static_cast<unsigned long long>(r.cleanup.errors),
                r.cleanup.bucket_deleted ? ", bucket deleted" : "");
  out += line;
  if (r.cleanup.first_error) {
    out += "  first cleanup error: " + DescribeError(*r.cleanup.first_error) + "\n";
  }
  return out;
}

}  // namespace strata::bench
