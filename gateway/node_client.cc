#include "gateway/node_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/crypto.h"
#include "common/encoding.h"
#include "gateway/node_auth.h"
#include "gateway/node_codec.h"
#include "gateway/uri.h"

namespace strata::gw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxAnswer = 256 << 20;

// (GCC 12 may destroy temporaries of a co_await expression twice: the
// arguments of awaited calls below are named variables.)

// One connection to the node, plain or TLS, owned by one executor.
struct Conn {
  asio::any_io_executor executor;
  asio::execution_context* context = nullptr;  // the executor's
  std::unique_ptr<beast::tcp_stream> tcp;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

Status Unavailable(const std::string& node, const std::string& what) {
  return Status(Code::kUnavailable, "node " + node + ": " + what);
}

std::string Param(std::string_view name, std::string_view value) {
  return std::string(name) + "=" + UriEncode(value, true);
}

// Pooled connections must not outlive their io_context: closing a socket
// touches its reactor. Every context a connection was opened on gets a
// PoolReaper service; when the context is destroyed, its shutdown() drops
// that context's idle connections from every live client.
struct PoolReaper : asio::execution_context::service {
  static asio::execution_context::id id;
  explicit PoolReaper(asio::execution_context& ctx) : service(ctx) {}
  void shutdown() override;
};
asio::execution_context::id PoolReaper::id;

}  // namespace

struct NodeClient::Impl {
  NodeClientOptions options;
  std::string host, port;
  std::string key;
  std::optional<ssl::context> tls_context;

  std::mutex mu;
  std::vector<std::unique_ptr<Conn>> idle;  // guarded by mu

  std::atomic<int64_t> down_until_ms{0};  // steady clock; 0 = up
  std::atomic<int64_t> backoff_ms{0};

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  bool available() const { return NowMs() >= down_until_ms.load(std::memory_order_relaxed); }
  void Failed() {
    int64_t b = backoff_ms.load();
    b = b == 0 ? 1000 : std::min<int64_t>(b * 2, options.max_backoff.count());
    backoff_ms.store(b);
    down_until_ms.store(NowMs() + b);
  }
  void Succeeded() {
    backoff_ms.store(0);
    down_until_ms.store(0);
  }

  // A pooled connection of this executor, or a new one.
  Task<Result<std::unique_ptr<Conn>>> Acquire(bool* reused) {
    auto executor = co_await asio::this_coro::executor;
    *reused = false;
    {
      std::lock_guard lock(mu);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = idle.begin(); it != idle.end(); ++it) {
        // The node closes idle connections after two minutes; stay well inside.
        if ((*it)->executor == executor && now - (*it)->idle_since < std::chrono::seconds(50)) {
          std::unique_ptr<Conn> c = std::move(*it);
          idle.erase(it);
          *reused = true;
          co_return c;
        }
      }
    }
    auto c = std::make_unique<Conn>();
    c->executor = executor;
    c->context = &asio::query(executor, asio::execution::context);
    asio::use_service<PoolReaper>(*c->context);
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, kTuple);
    if (rec) co_return Unavailable(options.node, "resolve: " + rec.message());
    auto stream = std::make_unique<beast::tcp_stream>(executor);
    stream->expires_after(options.connect_timeout);
    auto [cec, ep] = co_await stream->async_connect(endpoints, kTuple);
    if (cec) co_return Unavailable(options.node, "connect: " + cec.message());
    stream->socket().set_option(tcp::no_delay(true));
    if (!tls_context) {
      c->tcp = std::move(stream);
      co_return c;
    }
    c->tls =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), *tls_context);
    SSL_set_tlsext_host_name(c->tls->native_handle(), host.c_str());
    c->tls->set_verify_callback(ssl::host_name_verification(host));
    auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) co_return Unavailable(options.node, "TLS: " + hec.message());
    co_return c;
  }

  // Drops (closes) the idle connections opened on `context`.
  void DropIdle(asio::execution_context* context) {
    std::vector<std::unique_ptr<Conn>> dropped;
    std::lock_guard lock(mu);
    for (auto& c : idle) {
      if (c->context == context) dropped.push_back(std::move(c));
    }
    std::erase(idle, nullptr);
  }

  void Release(std::unique_ptr<Conn> c) {
    c->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    if (idle.size() < options.max_idle) idle.push_back(std::move(c));
  }

  template <typename Request>
  void Sign(Request& req, std::string_view body_sha256) {
    std::string date = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    std::string nonce = HexEncode(RandomBytes(16));
    std::string method(http::to_string(req.method()));
    std::string target(req.target());
    std::string sig = node::RequestSignature(key, method, target, date, nonce, body_sha256);
    req.set(http::field::host, options.address);
    req.set("x-strata-date", date);
    req.set("x-strata-nonce", nonce);
    req.set("x-strata-content-sha256", body_sha256);
    req.set(http::field::authorization, std::string(node::kAuthScheme) + " " + sig);
  }

  // Writes `req` and reads the whole answer (bodies up to kMaxAnswer), or
  // with `into`, reads a successful shard body straight into it.
  template <typename Stream>
  Task<Result<std::pair<http::response_header<>, std::string>>> RoundTrip(
      Stream& stream, Conn& c, http::request<http::string_body>& req, MutableByteSpan* into,
      size_t* into_len) {
    c.lowest().expires_after(options.call_timeout);
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    if (wec == beast::error::timeout) co_return Status(Code::kRequestTimeout, wec.message());
    if (wec) co_return Status(Code::kAborted, wec.message());
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(kMaxAnswer);
    auto [hec, hn] = co_await http::async_read_header(stream, c.buffer, parser, kTuple);
    if (hec == beast::error::timeout) co_return Status(Code::kRequestTimeout, hec.message());
    if (hec) co_return Status(Code::kAborted, hec.message());
    const bool raw = into && parser.get().result_int() == 200 &&
                     parser.get()[http::field::content_type] == "application/octet-stream";
    std::string body;
    std::string chunk(64 << 10, '\0');
    size_t filled = 0;
    while (!parser.is_done()) {
      if (raw) {
        if (filled == into->size()) co_return Status(Code::kCorruption, "shard answer too long");
        parser.get().body().data = into->data() + filled;
        parser.get().body().size = into->size() - filled;
      } else {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
      }
      auto [rec, rn] = co_await http::async_read(stream, c.buffer, parser, kTuple);
      if (rec == http::error::need_buffer) rec = {};
      if (rec == beast::error::timeout) co_return Status(Code::kRequestTimeout, rec.message());
      if (rec) co_return Status(Code::kAborted, rec.message());
      if (raw) {
        filled = into->size() - parser.get().body().size;
      } else {
        body.append(chunk.data(), chunk.size() - parser.get().body().size);
      }
    }
    if (raw) *into_len = filled;
    if (!parser.get().keep_alive()) c.buffer.clear(), c.tcp.reset(), c.tls.reset();
    co_return std::make_pair(http::response_header<>(parser.get().base()), std::move(body));
  }

  // One request with a retry on a stale pooled connection.
  // `probe`: try even while backing off (the pinger brings a node back).
  Task<Result<std::pair<http::response_header<>, std::string>>> Call(
      http::request<http::string_body> req, MutableByteSpan* into, size_t* into_len,
      bool probe = false) {
    if (!probe && !available()) co_return Unavailable(options.node, "backing off after a failure");
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = false;
      auto conn = co_await Acquire(&reused);
      if (!conn.ok()) {
        Failed();
        co_return conn.status();
      }
      Conn& c = **conn;
      Result<std::pair<http::response_header<>, std::string>> r =
          Status(Code::kInternal, "no answer");
      if (c.tls) {
        r = co_await RoundTrip(*c.tls, c, req, into, into_len);
      } else {
        r = co_await RoundTrip(*c.tcp, c, req, into, into_len);
      }
      if (r.ok()) {
        Succeeded();
        if (c.tcp || c.tls) Release(std::move(*conn));
        co_return r;
      }
      // A pooled connection the node had closed: once more on a new one.
      // (The node never saw the request, or saw it and its answer was lost;
      // Drive calls are safe to repeat: records are keyed by unique ids.)
      // A timeout is not that: the node is hung or too slow, and one
      // timeout is all a call may cost.
      if (!reused || r.status().code() == Code::kRequestTimeout) {
        Failed();
        co_return Unavailable(options.node, std::string(r.status().message()));
      }
    }
    Failed();
    co_return Unavailable(options.node, "connection lost");
  }

  http::request<http::string_body> Request(http::verb method, std::string target,
                                           std::string body) {
    http::request<http::string_body> req{method, target, 11};
    req.keep_alive(true);
    std::string sha = Sha256Hex(body);
    req.body() = std::move(body);
    req.prepare_payload();
    Sign(req, sha);
    return req;
  }
};

Result<std::shared_ptr<NodeClient>> NodeClient::Create(NodeClientOptions options) {
  auto impl = std::make_unique<Impl>();
  size_t colon = options.address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status(Code::kInvalidArgument, "node address must be host:port");
  }
  impl->host = options.address.substr(0, colon);
  if (impl->host.size() > 2 && impl->host.front() == '[')
    impl->host = impl->host.substr(1, impl->host.size() - 2);
  impl->port = options.address.substr(colon + 1);
  if (options.cluster_secret.size() < 16) {
    return Status(Code::kInvalidArgument, "the cluster secret must be at least 16 characters");
  }
  impl->key = node::SigningKey(options.cluster_secret);
  if (options.tls) {
    impl->tls_context.emplace(ssl::context::tls_client);
    boost::system::error_code ec;
    if (options.ca_file.empty()) {
      impl->tls_context->set_default_verify_paths(ec);
    } else {
      impl->tls_context->load_verify_file(options.ca_file, ec);
    }
    if (ec) return Status(Code::kInvalidArgument, "TLS trust store: " + ec.message());
    impl->tls_context->set_verify_mode(ssl::verify_peer);
  }
  impl->options = std::move(options);
  return std::shared_ptr<NodeClient>(new NodeClient(std::move(impl)));
}

namespace {

// The live clients, for PoolReaper.
std::mutex live_mu;
std::vector<NodeClient::Impl*> live;  // guarded by live_mu

void PoolReaper::shutdown() {
  std::lock_guard lock(live_mu);
  for (NodeClient::Impl* impl : live) impl->DropIdle(&context());
}

}  // namespace

NodeClient::NodeClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  std::lock_guard lock(live_mu);
  live.push_back(impl_.get());
}

NodeClient::~NodeClient() {
  std::lock_guard lock(live_mu);
  std::erase(live, impl_.get());
}

bool NodeClient::available() const { return impl_->available(); }
const std::string& NodeClient::node() const { return impl_->options.node; }

Task<Result<Json>> NodeClient::Rpc(std::string drive, Json request) {
  std::vector<uint8_t> cbor = Json::to_cbor(request);
  std::string body(reinterpret_cast<const char*>(cbor.data()), cbor.size());
  std::string target = "/internal/v1/rpc?" + Param("drive", drive);
  auto req = impl_->Request(http::verb::post, std::move(target), std::move(body));
  STRATA_CO_ASSIGN_OR_RETURN(auto answer, co_await impl_->Call(std::move(req), nullptr, nullptr));
  Json doc = Json::from_cbor(answer.second, true, false);
  if (doc.is_discarded()) co_return Status(Code::kCorruption, "node answer is not CBOR");
  co_return node::ReadAnswer(doc);
}

Task<Result<Json>> NodeClient::Ping() {
  auto req = impl_->Request(http::verb::get, "/internal/v1/ping", "");
  STRATA_CO_ASSIGN_OR_RETURN(auto answer,
                             co_await impl_->Call(std::move(req), nullptr, nullptr, true));
  Json doc = Json::from_cbor(answer.second, true, false);
  if (doc.is_discarded()) co_return Status(Code::kCorruption, "node answer is not CBOR");
  co_return node::ReadAnswer(doc);
}

Task<Result<size_t>> NodeClient::ReadShard(std::string drive, std::string data_id, uint64_t offset,
                                           MutableByteSpan out) {
  std::string target = "/internal/v1/shard?" + Param("drive", drive) + "&" + Param("id", data_id) +
                       "&offset=" + std::to_string(offset) +
                       "&length=" + std::to_string(out.size());
  auto req = impl_->Request(http::verb::get, std::move(target), "");
  size_t got = 0;
  MutableByteSpan into = out;
  STRATA_CO_ASSIGN_OR_RETURN(auto answer, co_await impl_->Call(std::move(req), &into, &got));
  if (answer.first[http::field::content_type] == "application/octet-stream") co_return got;
  Json doc = Json::from_cbor(answer.second, true, false);
  if (doc.is_discarded()) co_return Status(Code::kCorruption, "node answer is not CBOR");
  STRATA_CO_TRY(node::ReadAnswer(doc).status());
  co_return Status(Code::kCorruption, "node answered a read without bytes");
}

namespace {

// A shard streamed to the node on a connection of its own: frames as HTTP
// chunks, then the closing frame (SHA-256 and HMAC) and the node's answer.
class RemoteShardWriter final : public server::ShardWriter {
 public:
  RemoteShardWriter(NodeClient::Impl& impl, std::unique_ptr<Conn> conn, std::string signature)
      : impl_(impl),
        conn_(std::move(conn)),
        signature_(std::move(signature)),
        sha_(HashAlgorithm::kSha256) {}

  Task<Status> Append(ByteSpan data) override {
    if (!conn_) co_return Status(Code::kAborted, "shard stream closed");
    uint8_t len[4] = {uint8_t(data.size() >> 24), uint8_t(data.size() >> 16),
                      uint8_t(data.size() >> 8), uint8_t(data.size())};
    sha_.Update(data);
    std::array<asio::const_buffer, 2> parts{asio::buffer(len),
                                            asio::buffer(data.data(), data.size())};
    co_return co_await Write(http::make_chunk(parts));
  }

  Task<Status> Commit() override {
    if (!conn_) co_return Status(Code::kAborted, "shard stream closed");
    std::string digest = sha_.Finish();
    std::string tail(4, '\0');
    tail += digest;
    tail += node::BodySignature(impl_.key, signature_, HexEncode(digest));
    STRATA_CO_TRY(co_await Write(http::make_chunk(asio::buffer(tail))));
    STRATA_CO_TRY(co_await Write(http::make_chunk_last()));
    Conn& c = *conn_;
    c.lowest().expires_after(impl_.options.call_timeout);
    http::response<http::string_body> res;
    boost::system::error_code ec;
    if (c.tls) {
      std::tie(ec, std::ignore) = co_await http::async_read(*c.tls, c.buffer, res, kTuple);
    } else {
      std::tie(ec, std::ignore) = co_await http::async_read(*c.tcp, c.buffer, res, kTuple);
    }
    if (ec) {
      conn_.reset();
      impl_.Failed();
      co_return Unavailable(impl_.options.node, "shard commit: " + ec.message());
    }
    Json doc = Json::from_cbor(res.body(), true, false);
    if (doc.is_discarded()) co_return Status(Code::kCorruption, "node answer is not CBOR");
    Status st = node::ReadAnswer(doc).status();
    if (res.keep_alive()) impl_.Release(std::move(conn_));
    conn_.reset();
    co_return st;
  }

 private:
  template <typename Buffers>
  Task<Status> Write(const Buffers& buffers) {
    Conn& c = *conn_;
    c.lowest().expires_after(impl_.options.stream_timeout);
    boost::system::error_code ec;
    if (c.tls) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*c.tls, buffers, kTuple);
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(*c.tcp, buffers, kTuple);
    }
    if (ec) {
      conn_.reset();
      impl_.Failed();
      co_return Unavailable(impl_.options.node, "shard stream: " + ec.message());
    }
    co_return Status();
  }

  NodeClient::Impl& impl_;
  std::unique_ptr<Conn> conn_;  // null once closed; destroying it mid-stream aborts the write
  std::string signature_;
  Hasher sha_;
};

}  // namespace

Task<Result<std::unique_ptr<server::ShardWriter>>> NodeClient::WriteShard(std::string drive,
                                                                          std::string data_id) {
  if (!impl_->available())
    co_return Unavailable(impl_->options.node, "backing off after a failure");
  bool reused = false;
  auto conn = co_await impl_->Acquire(&reused);
  if (!conn.ok()) {
    impl_->Failed();
    co_return conn.status();
  }
  std::string target = "/internal/v1/shard?" + Param("drive", drive) + "&" + Param("id", data_id);
  http::request<http::empty_body> req{http::verb::put, target, 11};
  req.keep_alive(true);
  req.chunked(true);
  impl_->Sign(req, node::kStreamingBody);
  std::string signature(req[http::field::authorization].substr(node::kAuthScheme.size() + 1));
  Conn& c = **conn;
  c.lowest().expires_after(impl_->options.stream_timeout);
  http::request_serializer<http::empty_body> sr{req};
  boost::system::error_code ec;
  if (c.tls) {
    std::tie(ec, std::ignore) = co_await http::async_write_header(*c.tls, sr, kTuple);
  } else {
    std::tie(ec, std::ignore) = co_await http::async_write_header(*c.tcp, sr, kTuple);
  }
  if (ec) {
    impl_->Failed();
    co_return Unavailable(impl_->options.node, "shard stream: " + ec.message());
  }
  co_return std::unique_ptr<server::ShardWriter>(
      new RemoteShardWriter(*impl_, std::move(*conn), std::move(signature)));
}

}  // namespace strata::gw
