// The HTTP/1.1 client of strata-bench: Beast's parser and serializer over a
// plain TCP socket, SigV4 from the gateway's client-side signer.
//
// No per-operation timers: Beast's tcp_stream re-arms a timer (a
// timerfd_settime system call) for every read and write, a third of the
// system calls of a small request. A stuck request is instead closed by the
// watchdog that calls CloseIfStuck once a second.
#include "tools/bench/s3_connection.h"

#include <chrono>
#include <limits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include "common/timefmt.h"

namespace strata::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// A request that makes no progress for this long is given up (CloseIfStuck).
// 64 MiB objects must not trip it on a loaded 2-core machine.
constexpr std::chrono::seconds kIoTimeout{120};
// Response bodies stream through this much memory per connection.
constexpr size_t kScratchBytes = 256 << 10;
constexpr size_t kHeaderBytes = 16 << 10;
// How much of an error body is kept for its <Code> and <Message>.
constexpr size_t kKeptErrorBytes = 64 << 10;

std::string Between(std::string_view body, std::string_view open, std::string_view close) {
  size_t a = body.find(open);
  if (a == std::string_view::npos) return {};
  a += open.size();
  size_t b = body.find(close, a);
  if (b == std::string_view::npos) return {};
  return std::string(body.substr(a, b - a));
}

}  // namespace

std::string S3ErrorCode(std::string_view body) { return Between(body, "<Code>", "</Code>"); }
std::string S3ErrorMessage(std::string_view body) {
  return Between(body, "<Message>", "</Message>");
}

Result<ResolvedUrl> ResolveUrl(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return Status(Code::kInvalidArgument, "bad URL '" + std::string(url) + "'");
  if (parsed->scheme() != "http") {
    return Status(Code::kInvalidArgument, "only http:// URLs are supported");
  }
  ResolvedUrl out;
  out.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) out.target += "?" + std::string(parsed->encoded_query());
  std::string host(parsed->host_address());
  if (host.empty()) return Status(Code::kInvalidArgument, "--endpoint has no host");
  std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
  Endpoint& ep = out.endpoint;
  ep.host_header = std::string(parsed->encoded_host_and_port());
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  if (ec) return Status(Code::kUnavailable, "cannot resolve " + host + ": " + ec.message());
  for (const auto& r : results) ep.addresses.push_back(r.endpoint());
  if (ep.addresses.empty()) return Status(Code::kUnavailable, "no address for " + host);
  return out;
}

Result<Endpoint> ResolveEndpoint(std::string_view url) {
  STRATA_ASSIGN_OR_RETURN(ResolvedUrl resolved, ResolveUrl(url));
  if (resolved.target != "/") {
    return Status(Code::kInvalidArgument,
                  "--endpoint must not have a path or query (requests are path-style)");
  }
  return std::move(resolved.endpoint);
}

struct Connection::Impl {
  Impl(asio::any_io_executor ex, const Endpoint& ep, gw::SigV4Credentials c)
      : socket(ex), endpoint(ep), creds(std::move(c)), scratch(kScratchBytes) {
    buffer.reserve(kHeaderBytes);  // a response header arrives in one read
  }

  tcp::socket socket;
  const Endpoint& endpoint;
  gw::SigV4Credentials creds;
  beast::flat_buffer buffer;
  std::vector<char> scratch;
  std::string kept;
  bool connected = false;
  uint64_t requests_on_connection = 0;
  // While a request is in flight: when the watchdog may give up on it.
  // Pushed forward by every read of a body.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // x-amz-date changes once a second; formatting it per request is waste.
  int64_t date_second = -1;
  std::string amz_date;

  void Close() {
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    buffer.clear();
    connected = false;
    requests_on_connection = 0;
  }

  const std::string& AmzDate() {
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
    int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                         now.time_since_epoch()).count();
    if (second != date_second) {
      date_second = second;
      amz_date = FormatAmzDate(now);
    }
    return amz_date;
  }

  static void Failed(Reply* reply, std::string_view what, const boost::system::error_code& ec) {
    reply->status = 0;
    reply->transport_error = std::string(what) + ": " +
                             (ec == asio::error::operation_aborted
                                  ? "no progress for " + std::to_string(kIoTimeout.count()) + " s"
                                  : ec.message());
  }

  // One try. Returns true when it failed before any byte of a response came
  // back, which is when a retry on a fresh connection is safe.
  asio::awaitable<bool> Attempt(const Request& r, Reply* reply) {
    if (!connected) {
      auto [ec, ignored] = co_await asio::async_connect(socket, endpoint.addresses, kNoThrow);
      if (ec) {
        Failed(reply, "connect", ec);
        co_return false;  // a fresh connect failing is not worth retrying
      }
      socket.set_option(tcp::no_delay(true), ec);
      connected = true;
    }
    http::request<http::buffer_body> req;
    req.method(http::string_to_verb(r.method));
    req.target(r.target);
    req.version(11);
    req.set(http::field::host, endpoint.host_header);
    if (r.sign) {
      const std::string& date = AmzDate();
      gw::RequestView view{r.method,
                           r.target,
                           {{"host", endpoint.host_header},
                            {"x-amz-content-sha256", kUnsignedPayload},
                            {"x-amz-date", date}},
                           {}};
      if (!r.content_md5.empty()) view.headers.emplace_back("content-md5", r.content_md5);
      Result<std::string> auth = gw::SignV4Header(view, creds, kUnsignedPayload);
      if (!auth.ok()) {
        reply->transport_error = "signing: " + auth.status().ToString();
        co_return false;
      }
      req.set("x-amz-content-sha256", kUnsignedPayload);
      req.set("x-amz-date", date);
      req.set(http::field::authorization, *auth);
    }
    if (!r.content_md5.empty()) req.set(http::field::content_md5, r.content_md5);
    if (!r.body.empty() || r.method == "PUT" || r.method == "POST") {
      req.content_length(r.body.size());
    }
    // The serializer only reads through this pointer.
    req.body().data = const_cast<char*>(r.body.data());
    req.body().size = r.body.size();
    req.body().more = false;

    bool reused = requests_on_connection > 0;
    ++requests_on_connection;
    auto [wec, wn] = co_await http::async_write(socket, req, kNoThrow);
    if (wec) {
      Failed(reply, "send", wec);
      Close();
      co_return reused;
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (r.method == "HEAD") parser.skip(true);
    auto [hec, hn] = co_await http::async_read_header(socket, buffer, parser, kNoThrow);
    if (hec) {
      Failed(reply, "read response", hec);
      Close();
      co_return reused && hn == 0;
    }
    reply->status = parser.get().result_int();
    const bool keep = r.keep_body || !reply->ok();
    kept.clear();
    // (No co_await inside ?: -- GCC 12 miscompiles that.)
    bool read_ok = true;
    if (parser.is_done()) {
      // HEAD, 204, 304 or an empty body.
    } else if (parser.content_length()) {
      read_ok = co_await ReadSizedBody(*parser.content_length(), keep, r, reply);
    } else {
      read_ok = co_await ReadParsedBody(parser, keep, r, reply);
    }
    if (!read_ok) {
      Close();
      co_return false;
    }
    reply->body = kept;
    if (!parser.get().keep_alive()) Close();
    co_return false;
  }

  void Keep(const char* data, size_t n, bool keep_all) {
    if (!keep_all) n = std::min(n, kKeptErrorBytes - std::min(kKeptErrorBytes, kept.size()));
    kept.append(data, n);
  }

  // A body of known length bypasses the parser: whatever arrived with the
  // header is taken from `buffer`, the rest is read from the socket straight
  // into the scratch buffer in large reads (the parser would copy every byte
  // once more and read at most the buffer's small capacity per system call).
  asio::awaitable<bool> ReadSizedBody(uint64_t length, bool keep, const Request& r,
                                      Reply* reply) {
    size_t early = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length));
    Keep(static_cast<const char*>(buffer.data().data()), keep ? early : 0, r.keep_body);
    buffer.consume(early);
    reply->body_bytes = early;
    while (reply->body_bytes < length) {
      size_t want = static_cast<size_t>(
          std::min<uint64_t>(scratch.size(), length - reply->body_bytes));
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch.data(), want),
                                                     kNoThrow);
      if (ec) {
        Failed(reply, "read body", ec);
        co_return false;
      }
      deadline = std::chrono::steady_clock::now() + kIoTimeout;
      reply->body_bytes += n;
      if (keep) Keep(scratch.data(), n, r.keep_body);
    }
    co_return true;
  }

  // Chunked (or otherwise unsized) bodies go through the parser.
  asio::awaitable<bool> ReadParsedBody(http::response_parser<http::buffer_body>& parser,
                                       bool keep, const Request& r, Reply* reply) {
    while (!parser.is_done()) {
      parser.get().body().data = scratch.data();
      parser.get().body().size = scratch.size();
      auto [ec, n] = co_await http::async_read(socket, buffer, parser, kNoThrow);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        Failed(reply, "read body", ec);
        co_return false;
      }
      deadline = std::chrono::steady_clock::now() + kIoTimeout;
      size_t got = scratch.size() - parser.get().body().size;
      reply->body_bytes += got;
      if (keep) Keep(scratch.data(), got, r.keep_body);
    }
    co_return true;
  }
};

Connection::Connection(asio::any_io_executor executor, const Endpoint& endpoint,
                       gw::SigV4Credentials credentials)
    : impl_(std::make_unique<Impl>(std::move(executor), endpoint, std::move(credentials))) {}

Connection::~Connection() = default;

asio::awaitable<Reply> Connection::Send(const Request& request) {
  Reply reply;
  impl_->deadline = std::chrono::steady_clock::now() + kIoTimeout;
  bool retry = co_await impl_->Attempt(request, &reply);
  if (retry) {
    reply = Reply();
    co_await impl_->Attempt(request, &reply);
  }
  impl_->deadline = std::chrono::steady_clock::time_point::max();
  co_return reply;
}

void Connection::CloseIfStuck(std::chrono::steady_clock::time_point now) {
  // Closing fails the pending operation with operation_aborted; Attempt
  // reports it as a connection error and the next Send reconnects.
  if (now > impl_->deadline && impl_->socket.is_open()) {
    boost::system::error_code ignored;
    impl_->socket.close(ignored);
  }
}

}  // namespace strata::bench
