// HttpServer: the S3 listener. N I/O threads, each running its own
// io_context; the acceptor hands connections round-robin to them and a
// connection's session coroutine never leaves its thread (so the io_uring of
// that context serves its shard I/O too).
//
// A session reads the header first under a size limit, lets the handler pull
// the body as it streams, answers 100-continue when asked, and keeps the
// connection alive only when the body was fully consumed.
//
// Stop(): stop accepting, close idle connections, let in-flight requests
// finish (up to a deadline), join the threads.
//
// Thread safety: Start/Stop from one controlling thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "gateway/exchange.h"

namespace strata::gw {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;            // 0 picks a free port
  size_t threads = 0;              // 0 = one per core
  std::string tls_cert_file;       // PEM; TLS when both are set
  std::string tls_key_file;
  size_t header_limit = 32 << 10;  // bytes of request line + headers
  std::chrono::seconds read_timeout{120};  // no byte for this long closes the connection
  std::chrono::seconds stop_deadline{30};  // in-flight requests get this long at Stop
};

using RequestHandler = std::function<Task<void>(Exchange&)>;
// Called once per I/O thread before it runs (e.g. to bind per-thread state).
using ThreadHook = std::function<void(size_t thread_index)>;

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   RequestHandler handler);
  ~HttpServer();
  uint16_t port() const;
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::gw
