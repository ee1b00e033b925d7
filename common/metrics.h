// Metrics: counters, gauges and histograms with labels, rendered in the
// Prometheus text exposition format 0.0.4. The one metrics module of the
// project (prometheus-cpp is not packaged for Debian); keep it narrow.
//
// A Registry owns families; a family has a name, help text, a kind and fixed
// label names, and hands out one child per label-value tuple. Children live
// as long as the registry and never move, so callers look a child up once
// and keep the reference: counting is then a relaxed atomic add, no lock.
// Values that live elsewhere are read at scrape time by collectors.
//
// Thread safety: everything is thread-safe. Family lookups take the family's
// mutex; Inc/Set/Observe are lock-free; Render takes each family's mutex
// briefly and runs collectors on the caller's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace strata::metrics {

using Labels = std::vector<std::string>;  // values, in the family's label-name order

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: strictly increasing upper bounds; +Inf is implicit.
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double v);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  // Cumulative counts per bound, then +Inf (== count()).
  std::vector<uint64_t> Cumulative() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

enum class Kind { kCounter, kGauge, kHistogram };

// Default latency buckets in seconds (100 us .. 60 s).
const std::vector<double>& LatencyBuckets();

template <typename Child>
class Family {
 public:
  // The child for these label values (created on first use). The reference
  // stays valid for the registry's lifetime. Values must match the label
  // names in number; extra or missing values are a caller bug and get the
  // empty string.
  Child& With(const Labels& values);
  Child& With(std::initializer_list<std::string_view> values);

 private:
  friend class Registry;
  Family(std::string name, std::string help, Kind kind, std::vector<std::string> label_names,
         std::vector<double> bounds);
  std::string name_, help_;
  Kind kind_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  std::mutex mu_;
  std::map<Labels, Child*> index_;  // guarded by mu_
  std::deque<Child> children_;      // guarded by mu_; never moves its elements
};

// A sample a collector reports at scrape time.
struct Sample {
  Labels labels;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names must be valid Prometheus metric names; label names valid label
  // names. Registering a name twice returns the first family.
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> bounds = LatencyBuckets());

  // A family whose samples `collect` produces at each Render (gauges or
  // counters whose value lives elsewhere).
  void AddCollector(std::string name, std::string help, Kind kind,
                    std::vector<std::string> label_names,
                    std::function<std::vector<Sample>()> collect);

  // The text exposition format 0.0.4, families in registration order.
  std::string Render() const;

 private:
  struct Entry;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

// Label values and HELP text escaped as the text format requires.
std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);

}  // namespace strata::metrics
