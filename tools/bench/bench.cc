// The run's shared state: workers, their threads, and the PUT body.
#include "tools/bench/bench.h"

#include <cstring>
#include <exception>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace strata::bench {
namespace asio = boost::asio;

OpError ErrorOf(std::string_view op, const Reply& reply) {
  OpError e;
  e.op = std::string(op);
  e.status = reply.status;
  if (reply.status == 0) {
    e.message = reply.transport_error;
  } else {
    e.code = S3ErrorCode(reply.body);
    e.message = S3ErrorMessage(reply.body);
  }
  return e;
}

void Worker::Count(const char* op, const Reply& reply, SteadyTime started, SteadyTime ended) {
  ++ops;
  latency.Record(ended - started);
  if (!reply.ok()) {
    ++errors;
    if (!first_error) {
      first_error = ErrorOf(op, reply);
      first_error_at = ended;
    }
  }
}

Bench::Bench(const Options& options, Endpoint endpoint)
    : options_(options), endpoint_(std::move(endpoint)) {
  gw::SigV4Credentials creds{options.access_key, options.secret_key, options.region, "s3"};
  for (size_t t = 0; t < options.threads; ++t) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
  }
  std::random_device seed;
  for (size_t w = 0; w < options.concurrency; ++w) {
    auto worker = std::make_unique<Worker>();
    worker->index = w;
    worker->conn = std::make_unique<Connection>(
        contexts_[w % contexts_.size()]->get_executor(), endpoint_, creds);
    worker->rng.seed((uint64_t{seed()} << 32) ^ seed() ^ w);
    workers_.push_back(std::move(worker));
  }
  // Random bytes, so no layer between here and the disk can compress them.
  body_.resize(options.size);
  std::mt19937_64 fill(seed());
  for (size_t i = 0; i + 8 <= body_.size(); i += 8) {
    uint64_t v = fill();
    std::memcpy(&body_[i], &v, 8);
  }
}

// Once a second, closes the connections of context `c` whose request is
// stuck; ends when the last worker of the context has finished (which
// cancels the timer).
asio::awaitable<void> Bench::Watchdog(size_t c, const size_t& running, asio::steady_timer& timer) {
  while (running > 0) {
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto now = std::chrono::steady_clock::now();
    for (size_t w = c; w < workers_.size(); w += contexts_.size()) {
      workers_[w]->conn->CloseIfStuck(now);
    }
  }
}

void Bench::RunOn(size_t worker_count, const std::function<asio::awaitable<void>(Worker&)>& fn) {
  // Per context: its workers still running, and its watchdog's timer. Both
  // are touched only by that context's thread.
  std::vector<size_t> running(contexts_.size(), 0);
  std::vector<asio::steady_timer> timers;
  for (auto& ctx : contexts_) timers.emplace_back(*ctx);
  for (size_t w = 0; w < worker_count; ++w) {
    size_t c = w % contexts_.size();
    ++running[c];
    asio::co_spawn(*contexts_[c], fn(*workers_[w]), [&, c](std::exception_ptr e) {
      // An exception here is a bug (or out of memory): let it end the process.
      if (e) std::rethrow_exception(e);
      if (--running[c] == 0) timers[c].cancel();
    });
  }
  for (size_t c = 0; c < contexts_.size(); ++c) {
    if (running[c] == 0) continue;
    asio::co_spawn(*contexts_[c], Watchdog(c, running[c], timers[c]), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  std::vector<std::thread> threads;
  for (size_t t = 1; t < contexts_.size(); ++t) {
    threads.emplace_back([ctx = contexts_[t].get()] { ctx->run(); });
  }
  contexts_[0]->run();
  for (auto& t : threads) t.join();
  for (auto& ctx : contexts_) ctx->restart();
}

void Bench::RunOnAll(const std::function<asio::awaitable<void>(Worker&)>& fn) {
  RunOn(workers_.size(), fn);
}

Bench::OwnedReply Bench::Call(const Request& request) {
  OwnedReply out;
  RunOn(1, [&](Worker& w) -> asio::awaitable<void> {
    Reply r = co_await w.conn->Send(request);
    out.status = r.status;
    out.body.assign(r.body);
    out.transport_error = r.transport_error;
  });
  return out;
}

std::string PreparedTarget(const Bench& bench, size_t n) {
  return bench.TargetPrefix() + "obj-" + std::to_string(n);
}

}  // namespace strata::bench
