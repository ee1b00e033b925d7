// ParallelEach: runs one coroutine per index concurrently on the caller's
// executor and waits for all of them. Used to fan a request out to the drives
// of an erasure set. Each body writes its own result slot, so no locking.
//
// (Boost 1.81's ranged experimental::parallel_group crashed under load here,
// in its recycled state; this counter is all we need.)
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>

#include "server/drive.h"

namespace strata::server {

// body(i) -> Task<void>, called for i in [0, n). Bodies must not throw.
template <typename Body>
Task<void> ParallelEach(size_t n, Body body) {
  namespace asio = boost::asio;
  if (n == 0) co_return;
  if (n == 1) {
    co_await body(0);
    co_return;
  }
  auto ex = co_await asio::this_coro::executor;
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&body, ex, n](auto handler) {
        using Handler = decltype(handler);
        // Every body runs on `ex` (one thread), so the count needs no atomics.
        struct State {
          size_t remaining;
          Handler handler;
        };
        auto state = std::make_shared<State>(State{n, std::move(handler)});
        for (size_t i = 0; i < n; ++i) {
          asio::co_spawn(ex, body(i), [state, ex](std::exception_ptr) {
            if (--state->remaining == 0) {
              asio::dispatch(ex, [state] { std::move(state->handler)(); });
            }
          });
        }
      },
      asio::use_awaitable);
}

}  // namespace strata::server
