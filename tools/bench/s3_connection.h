// One keep-alive HTTP/1.1 connection to an S3 endpoint that signs every
// request with SigV4 the way an SDK does (gateway/sigv4.h SignV4Header; body
// as UNSIGNED-PAYLOAD, so hashing never dominates the client).
//
// Built to cost little CPU, because the load generator shares the machine
// with the server: the request body is a caller-owned span sent as it is, the
// response body streams through one reused scratch buffer and is thrown away
// unless the caller asks to keep it, and the connection stays open between
// requests (it reconnects by itself after an error or "Connection: close").
//
// Thread safety: a Connection belongs to one coroutine at a time on its
// executor; Send must not be called again before the previous one finished.
// CloseIfStuck runs on the same executor, between Send's steps.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/status.h"
#include "gateway/sigv4.h"

namespace strata::bench {

struct Endpoint {
  std::string host_header;  // "127.0.0.1:9000", as signed and sent
  std::vector<boost::asio::ip::tcp::endpoint> addresses;
};

// Parses "http://host[:port]" and resolves the host once. https and paths
// are refused (kInvalidArgument); a host that does not resolve is kUnavailable.
Result<Endpoint> ResolveEndpoint(std::string_view url);

// The same for a full URL: its endpoint, and its target ("/path?query").
struct ResolvedUrl {
  Endpoint endpoint;
  std::string target;
};
Result<ResolvedUrl> ResolveUrl(std::string_view url);

struct Request {
  std::string_view method;         // "GET", "PUT", "HEAD", "DELETE", "POST"
  std::string_view target;         // "/bucket/key?query", already percent-encoded
  std::span<const char> body;      // sent as it is; borrowed until Send completes
  std::string_view content_md5;    // base64; sent and signed when not empty
  bool keep_body = false;          // keep the response body (see Reply::body)
  bool sign = true;                // false: no SigV4 headers (presigned or plain URLs)
};

struct Reply {
  int status = 0;            // HTTP status; 0 when the connection failed
  uint64_t body_bytes = 0;   // response body bytes received
  // The response body when Request::keep_body, else the first 64 KiB of an
  // error's body. Valid until the next Send on the same connection.
  std::string_view body;
  std::string transport_error;  // why status is 0

  bool ok() const { return status >= 200 && status < 300; }
};

class Connection {
 public:
  Connection(boost::asio::any_io_executor executor, const Endpoint& endpoint,
             gw::SigV4Credentials credentials);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one request and reads the whole response. Never throws for network
  // or HTTP errors: they come back in the Reply. A request that fails on a
  // reused connection before any response byte arrived (the server closed
  // an idle connection) is retried once on a fresh one.
  boost::asio::awaitable<Reply> Send(const Request& request);

  // Closes the socket when the request in flight has made no progress for
  // two minutes, which fails it. Called by a watchdog on the connection's
  // executor (there are no per-operation timers: they cost a system call
  // each).
  void CloseIfStuck(std::chrono::steady_clock::time_point now);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The <Code> and <Message> of an S3 error body (empty when there is none).
std::string S3ErrorCode(std::string_view body);
std::string S3ErrorMessage(std::string_view body);

}  // namespace strata::bench
