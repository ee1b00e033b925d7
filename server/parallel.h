// ParallelEach: runs one coroutine per index concurrently on the caller's
// executor and waits for all of them. Used to fan a request out to the drives
// of an erasure set. Each body writes its own result slot, so no locking.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "server/drive.h"

namespace strata::server {

// body(i) -> Task<void>, called for i in [0, n).
template <typename Body>
Task<void> ParallelEach(size_t n, Body body) {
  namespace asio = boost::asio;
  if (n == 0) co_return;
  if (n == 1) {
    co_await body(0);
    co_return;
  }
  auto ex = co_await asio::this_coro::executor;
  using Op = decltype(asio::co_spawn(ex, body(0), asio::deferred));
  std::vector<Op> ops;
  ops.reserve(n);
  for (size_t i = 0; i < n; ++i) ops.push_back(asio::co_spawn(ex, body(i), asio::deferred));
  co_await asio::experimental::make_parallel_group(std::move(ops))
      .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
}

}  // namespace strata::server
