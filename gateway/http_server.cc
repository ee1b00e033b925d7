#include "gateway/http_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "gateway/s3_errors.h"

namespace strata::gw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kBodyReadBuffer = 64 * 1024;  // Beast reads at most 64 KiB at a time

// What a session shares with Stop(): whether it is between requests.
struct SessionState {
  std::atomic<bool> busy{false};
  std::function<void()> close;  // runs on the session's own executor
  asio::any_io_executor executor;
};

struct Registry {
  std::mutex mu;
  std::list<std::weak_ptr<SessionState>> sessions;
  std::atomic<bool> stopping{false};
  std::atomic<int> live{0};
};

template <typename Stream>
beast::tcp_stream& Lowest(Stream& s) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    return s;
  } else {
    return beast::get_lowest_layer(s);
  }
}

template <typename Stream>
class SessionExchange final : public Exchange {
 public:
  SessionExchange(Stream& stream, beast::flat_buffer& buffer,
                  http::request_parser<http::buffer_body>& parser, bool secure, bool loopback,
                  std::chrono::seconds timeout)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        secure_(secure),
        loopback_(loopback),
        timeout_(timeout) {}

  const http::request_header<>& request() const override { return parser_.get().base(); }
  bool secure() const override { return secure_; }
  bool loopback_peer() const override { return loopback_; }
  bool body_done() const override { return parser_.is_done(); }
  bool response_started() const override { return started_; }
  void CloseAfterResponse() override { close_ = true; }
  bool close_requested() const { return close_; }
  const Traffic& traffic() const override { return traffic_; }

  Task<Status> Continue() override {
    if (continued_ || started_) co_return Status();
    continued_ = true;
    if (beast::iequals(parser_.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> cont{http::status::continue_, 11};
      Lowest(stream_).expires_after(timeout_);
      auto [ec, n] = co_await http::async_write(stream_, cont, kTuple);
      if (ec) {
        close_ = true;
        co_return Status(Code::kIncompleteBody, "connection lost");
      }
    }
    co_return Status();
  }

  Task<Result<size_t>> ReadBody(MutableByteSpan out) override {
    if (parser_.is_done() || out.empty()) co_return size_t{0};
    Status cont = co_await Continue();
    if (!cont.ok()) co_return cont;
    auto& body = parser_.get().body();
    body.data = out.data();
    body.size = out.size();
    // Beast reads into the free space of the session buffer, at least 512
    // bytes: a buffer sized for headers would make that 512 bytes per
    // system call (and timer re-arm) for a whole upload. Connections that
    // carry bodies get room for large reads once.
    if (buffer_.capacity() < kBodyReadBuffer) buffer_.reserve(kBodyReadBuffer);
    Lowest(stream_).expires_after(timeout_);
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser_, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      close_ = true;
      if (ec == beast::error::timeout) co_return Status(Code::kRequestTimeout);
      co_return Status(Code::kIncompleteBody,
                       "You did not provide the number of bytes specified by the Content-Length "
                       "HTTP header.");
    }
    traffic_.received += out.size() - body.size;
    co_return out.size() - body.size;
  }

  Task<Status> Send(http::response<http::string_body> res) override {
    started_ = true;
    traffic_.status = res.result_int();
    Finalize(res.base());
    Lowest(stream_).expires_after(timeout_);
    auto [ec, n] = co_await http::async_write(stream_, res, kTuple);
    traffic_.sent += n;
    if (ec) {
      close_ = true;
      co_return Status(Code::kAborted, "client went away");
    }
    co_return Status();
  }

  Task<Status> StartStream(http::response_header<> header, uint64_t length) override {
    started_ = true;
    traffic_.status = header.result_int();
    stream_res_.emplace(std::move(header));
    stream_res_->content_length(length);
    Finalize(stream_res_->base());
    stream_res_->body().data = nullptr;
    stream_res_->body().more = true;
    serializer_.emplace(*stream_res_);
    Lowest(stream_).expires_after(timeout_);
    auto [ec, n] = co_await http::async_write_header(stream_, *serializer_, kTuple);
    traffic_.sent += n;
    if (ec) {
      close_ = true;
      co_return Status(Code::kAborted, "client went away");
    }
    co_return Status();
  }

  Task<Status> WriteStream(ByteSpan data) override {
    if (data.empty()) co_return Status();
    auto& body = stream_res_->body();
    body.data = const_cast<std::byte*>(data.data());
    body.size = data.size();
    body.more = true;
    Lowest(stream_).expires_after(timeout_);
    auto [ec, n] = co_await http::async_write(stream_, *serializer_, kTuple);
    traffic_.sent += n;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      close_ = true;
      co_return Status(Code::kAborted, "client went away");
    }
    co_return Status();
  }

  Task<Status> FinishStream() override {
    auto& body = stream_res_->body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    auto [ec, n] = co_await http::async_write(stream_, *serializer_, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      close_ = true;
      co_return Status(Code::kAborted, "client went away");
    }
    co_return Status();
  }

 private:
  void Finalize(http::response_header<>& h) {
    if (!parser_.is_done()) close_ = true;  // an unread body cannot be skipped safely
    if (!parser_.get().keep_alive()) close_ = true;
    if (close_) h.set(http::field::connection, "close");
    h.set(http::field::server, "Strata");
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  http::request_parser<http::buffer_body>& parser_;
  bool secure_, loopback_;
  std::chrono::seconds timeout_;
  bool continued_ = false;
  bool started_ = false;
  bool close_ = false;
  Traffic traffic_;
  std::optional<http::response<http::buffer_body>> stream_res_;
  std::optional<http::response_serializer<http::buffer_body>> serializer_;
};

// An error before any handler ran: bad request line, headers too large...
template <typename Stream>
Task<void> SendEarlyError(Stream& stream, Code code, std::chrono::seconds timeout) {
  const ErrorInfo& info = LookupError(code);
  http::response<http::string_body> res{static_cast<http::status>(info.http_status), 11};
  res.set(http::field::content_type, "application/xml");
  res.set(http::field::server, "Strata");
  res.keep_alive(false);
  res.body() = RenderErrorXml(Status(code), "", "");
  res.prepare_payload();
  Lowest(stream).expires_after(timeout);
  co_await http::async_write(stream, res, kTuple);
}

Code ParseErrorCode(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return Code::kRequestHeaderSectionTooLarge;
  return Code::kBadRequest;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  RequestHandler handler;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::thread> threads;
  std::optional<tcp::acceptor> acceptor;
  std::optional<ssl::context> tls;
  Registry registry;
  uint16_t port = 0;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;

  template <typename Stream>
  Task<void> Serve(Stream& stream, bool secure, bool loopback, std::shared_ptr<SessionState> state) {
    beast::flat_buffer buffer;
    while (!registry.stopping.load()) {
      http::request_parser<http::buffer_body> parser;
      parser.header_limit(static_cast<uint32_t>(options.header_limit));
      parser.body_limit(boost::none);  // handlers enforce S3's object size limits
      Lowest(stream).expires_after(options.read_timeout);
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      if (ec) {
        if (ec != http::error::end_of_stream && ec != asio::error::eof &&
            ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
            ec != beast::error::timeout && ec != asio::ssl::error::stream_truncated) {
          co_await SendEarlyError(stream, ParseErrorCode(ec), options.read_timeout);
        }
        break;
      }
      state->busy = true;
      SessionExchange<Stream> exchange(stream, buffer, parser, secure, loopback,
                                       options.read_timeout);
      co_await handler(exchange);
      state->busy = false;
      if (exchange.close_requested() || !exchange.response_started()) break;
    }
    beast::error_code ignored;
    Lowest(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Task<void> Session(tcp::socket socket) {
    registry.live++;
    auto state = std::make_shared<SessionState>();
    beast::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    bool loopback = !ec && peer.address().is_loopback();
    socket.set_option(tcp::no_delay(true), ec);
    beast::tcp_stream tcp_stream(std::move(socket));
    state->executor = tcp_stream.get_executor();
    state->close = [&tcp_stream] { tcp_stream.cancel(); };
    {
      std::lock_guard lock(registry.mu);
      registry.sessions.push_back(state);
    }
    if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
      state->close = [&stream] { beast::get_lowest_layer(stream).cancel(); };
      beast::get_lowest_layer(stream).expires_after(options.read_timeout);
      auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
      if (!hec) co_await Serve(stream, true, loopback, state);
      state->close = nullptr;
    } else {
      co_await Serve(tcp_stream, false, loopback, state);
      state->close = nullptr;
    }
    registry.live--;
  }

  Task<void> Accept() {
    size_t next = 0;
    for (;;) {
      auto& ctx = *contexts[next++ % contexts.size()];
      auto [ec, socket] = co_await acceptor->async_accept(ctx, kTuple);
      if (ec) {
        if (registry.stopping.load() || ec == asio::error::operation_aborted) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      if (registry.stopping.load()) co_return;
      auto ex = socket.get_executor();
      asio::co_spawn(ex, Session(std::move(socket)), asio::detached);
    }
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      RequestHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  size_t threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) {
    impl->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl->guards.push_back(asio::make_work_guard(*impl->contexts.back()));
  }
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    impl->tls.emplace(ssl::context::tls_server);
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl->tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) return Status(Code::kInvalidArgument, "TLS certificate: " + ec.message());
    impl->tls->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
    if (ec) return Status(Code::kInvalidArgument, "TLS key: " + ec.message());
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) return Status(Code::kInvalidArgument, "bad listen address: " + options.host);
  tcp::endpoint endpoint(address, options.port);
  impl->acceptor.emplace(*impl->contexts[0]);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable, "cannot listen on " + options.host + ":" +
                                          std::to_string(options.port) + ": " + ec.message());
  }
  impl->port = impl->acceptor->local_endpoint().port();
  Impl* raw = impl.get();
  asio::co_spawn(*impl->contexts[0], raw->Accept(), asio::detached);
  for (auto& ctx : impl->contexts) {
    impl->threads.emplace_back([c = ctx.get()] { c->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->threads.empty()) return;
  impl_->registry.stopping = true;
  asio::post(*impl_->contexts[0], [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
  // Idle sessions are closed now; busy ones finish their request first and
  // then see `stopping`.
  auto close_idle = [this] {
    std::lock_guard lock(impl_->registry.mu);
    for (auto it = impl_->registry.sessions.begin(); it != impl_->registry.sessions.end();) {
      auto s = it->lock();
      if (!s) {
        it = impl_->registry.sessions.erase(it);
        continue;
      }
      if (!s->busy.load() && s->executor) {
        asio::post(s->executor, [s] {
          if (s->close && !s->busy.load()) s->close();
        });
      }
      ++it;
    }
  };
  auto deadline = std::chrono::steady_clock::now() + impl_->options.stop_deadline;
  impl_->guards.clear();
  while (impl_->registry.live.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    close_idle();
    // Waiting for sessions to notice: bounded polling at shutdown only.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& ctx : impl_->contexts) ctx->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace strata::gw
