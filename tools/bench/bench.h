// The state of one strata-bench run, shared by its phases (bucket set-up,
// preparing objects, the measured workload, clean-up): the connections, one
// per worker, the io_context threads they run on, and the object body every
// PUT sends.
//
// Threads: `threads` io_contexts, each run by one thread only while a phase
// runs; worker w lives on context w % threads and never leaves it, so a
// Worker is touched by one thread at a time and needs no locks. Between
// phases only the controlling thread touches anything.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/status.h"
#include "tools/bench/options.h"
#include "tools/bench/report.h"
#include "tools/bench/s3_connection.h"

namespace strata::bench {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Worker {
  size_t index = 0;
  std::unique_ptr<Connection> conn;
  std::mt19937_64 rng;

  // Results of the measured phase.
  LatencyHistogram latency;
  OpCounts counts;
  uint64_t ops = 0, bytes = 0, keys = 0, errors = 0;
  std::optional<OpError> first_error;
  SteadyTime first_error_at{};

  // Keys this worker made that still exist (mixed), and the next number for
  // a new key of its own (put, mixed).
  std::vector<std::string> live;
  uint64_t next_seq = 0;
  std::string target;  // reused to build request targets without allocating

  // Counts one finished request of the measured phase.
  void Count(const char* op, const Reply& reply, SteadyTime started, SteadyTime ended);
};

// Turns a failed reply into an OpError (status, S3 code and message).
OpError ErrorOf(std::string_view op, const Reply& reply);

class Bench {
 public:
  Bench(const Options& options, Endpoint endpoint);
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;

  // Runs fn(worker) for every worker at once on the workers' threads and
  // returns when every one has finished.
  void RunOnAll(const std::function<boost::asio::awaitable<void>(Worker&)>& fn);

  // One request on worker 0's connection, from the controlling thread. The
  // body of the reply is copied out (it is kept when keep_body is set).
  struct OwnedReply {
    int status = 0;
    std::string body;
    std::string transport_error;
    bool ok() const { return status >= 200 && status < 300; }
  };
  OwnedReply Call(const Request& request);

  const Options& options() const { return options_; }
  const Endpoint& endpoint() const { return endpoint_; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
  // The body of every PUT: options().size pseudo-random bytes, allocated once.
  std::span<const char> body() const { return body_; }

  // The bucket, and the prefix of every key this run makes ("sb-<hex>/").
  std::string bucket;
  std::string prefix;
  // The url workload's one target ("/path?query").
  std::string url_target;
  // "/bucket/" + prefix: request targets start with it.
  std::string TargetPrefix() const { return "/" + bucket + "/" + prefix; }

 private:
  // Runs fn on workers 0..worker_count-1, with a watchdog per context.
  void RunOn(size_t worker_count, const std::function<boost::asio::awaitable<void>(Worker&)>& fn);
  boost::asio::awaitable<void> Watchdog(size_t context, const size_t& running,
                                        boost::asio::steady_timer& timer);

  const Options& options_;
  Endpoint endpoint_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<char> body_;
};

// The phases (setup.cc, workloads.cc).

// Creates the bucket (a fresh one, or --bucket when it does not exist yet).
// Returns whether this run owns it and so must remove it at the end.
Result<bool> SetUpBucket(Bench& bench);
// PUTs `count` objects "<prefix>obj-<n>" of options().size, spread over the
// workers; for mixed each worker keeps its share in Worker::live. Any failed
// PUT fails the phase.
Status PrepareObjects(Bench& bench, size_t count);
// Runs the measured workload for options().duration; returns the wall time.
std::chrono::duration<double> Measure(Bench& bench, size_t prepared);
// Deletes every object under the run's prefix, and the bucket when owned.
CleanupResult CleanUp(Bench& bench, bool bucket_owned);

// The target of a prepared object: "/bucket/<prefix>obj-<n>".
std::string PreparedTarget(const Bench& bench, size_t n);

}  // namespace strata::bench
