// Small bridges between blocking work and coroutines.
//
// RunBlocking runs `fn` on a thread pool (fdatasync, unlink, directory
// syncs: calls io_uring through Asio does not cover) and resumes the awaiting
// coroutine on its own executor, so a coroutine never changes threads.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <utility>

#include "common/status.h"

namespace strata::server {

using BlockingExecutor = boost::asio::thread_pool::executor_type;

//
// Pass `fn` as a named variable (std::move(local)): GCC 12 destroys
// non-trivial temporaries of a co_await full-expression twice in some cases
// (seen here as a double free of a lambda's captured string).
template <typename T, typename Fn>
boost::asio::awaitable<T> RunBlocking(BlockingExecutor pool, Fn&& fn) {
  namespace asio = boost::asio;
  return asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [pool, fn = std::forward<Fn>(fn)](auto handler) mutable {
        auto work = asio::make_work_guard(handler);
        asio::post(pool, [fn = std::move(fn), handler = std::move(handler),
                          work = std::move(work)]() mutable {
          T result = fn();
          auto ex = work.get_executor();
          asio::dispatch(ex, [h = std::move(handler), r = std::move(result)]() mutable {
            std::move(h)(std::move(r));
          });
        });
      },
      asio::use_awaitable);
}

// Adapts an API that reports completion through a copyable callback
// `start(std::function<void(Status)>)` invoked on any thread.
template <typename Start>
boost::asio::awaitable<Status> AwaitCallback(Start start) {
  namespace asio = boost::asio;
  return asio::async_initiate<decltype(asio::use_awaitable), void(Status)>(
      [start = std::move(start)](auto handler) mutable {
        using Handler = decltype(handler);
        struct State {
          Handler handler;
          asio::executor_work_guard<asio::associated_executor_t<Handler>> work;
        };
        auto work = asio::make_work_guard(handler);
        auto state = std::make_shared<State>(State{std::move(handler), std::move(work)});
        start([state](Status status) {
          auto ex = state->work.get_executor();
          asio::dispatch(ex, [state, status = std::move(status)]() mutable {
            std::move(state->handler)(std::move(status));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace strata::server
