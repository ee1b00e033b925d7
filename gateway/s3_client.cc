#include "gateway/s3_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <pugixml.hpp>

#include "common/timefmt.h"
#include "gateway/auth.h"
#include "gateway/sigv4.h"
#include "gateway/uri.h"

namespace strata::gw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kChunk = 1 << 20;
constexpr size_t kMaxSmallBody = 16 << 20;

struct Request {
  http::verb method;
  std::string target;                                       // encoded path + query
  std::vector<std::pair<std::string, std::string>> extra;   // more headers to sign
  BodySource* body = nullptr;
  uint64_t body_size = 0;
};

struct Response {
  unsigned status = 0;
  std::string body;  // for non-streamed answers and errors
};

Status FromHttp(unsigned status, const std::string& body, bool bucket_level) {
  std::string code, message;
  pugi::xml_document doc;
  if (doc.load_buffer(body.data(), body.size(), pugi::parse_default & ~pugi::parse_doctype)) {
    code = doc.child("Error").child_value("Code");
    message = doc.child("Error").child_value("Message");
  }
  std::string what = "remote S3 answered " + std::to_string(status) +
                     (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message);
  if (status == 404) {
    return Status(code == "NoSuchBucket" || bucket_level ? Code::kNoSuchBucket : Code::kNoSuchKey,
                  what);
  }
  if (status == 403) return Status(Code::kAccessDenied, what);
  if (status >= 500 || status == 429) return Status(Code::kUnavailable, what);
  return Status(Code::kInvalidRequest, what);
}

}  // namespace

struct S3Client::Impl {
  S3ClientOptions options;
  bool tls = false;
  std::string host, port, host_header;
  std::optional<ssl::context> tls_context;

  template <typename Stream>
  Task<Result<Response>> Run(Stream& stream, const Request& r, BodySink* sink) {
    // Sign: host, date, payload mode and the extra headers.
    std::string amz_date = FormatAmzDate(Clock::Real().Now());
    RequestView view;
    std::string method(http::to_string(r.method));
    view.method = method;
    view.target = r.target;
    view.headers = {{"host", host_header},
                    {"x-amz-date", amz_date},
                    {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
    for (const auto& [k, v] : r.extra) view.headers.emplace_back(k, v);
    SigV4Credentials creds{options.access_key, options.secret_key, options.region, "s3"};
    STRATA_CO_ASSIGN_OR_RETURN(std::string authorization,
                               SignV4Header(view, creds, "UNSIGNED-PAYLOAD"));

    http::request<http::buffer_body> req{r.method, r.target, 11};
    req.set(http::field::host, host_header);
    req.set("x-amz-date", amz_date);
    req.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    for (const auto& [k, v] : r.extra) req.set(k, v);
    req.set(http::field::authorization, authorization);
    req.set(http::field::user_agent, "strata-tier/0.1.0");
    req.content_length(r.body_size);
    req.body().data = nullptr;
    req.body().more = r.body != nullptr && r.body_size > 0;
    http::request_serializer<http::buffer_body> sr{req};
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(options.timeout);
    auto [ec, n] = co_await http::async_write_header(stream, sr, kTuple);
    if (ec) co_return Status(Code::kUnavailable, "remote S3: " + ec.message());
    if (r.body && r.body_size > 0) {
      std::string buf(kChunk, '\0');
      uint64_t sent = 0;
      while (sent < r.body_size) {
        STRATA_CO_ASSIGN_OR_RETURN(
            size_t got, co_await r.body->Read(MutableByteSpan(
                            reinterpret_cast<std::byte*>(buf.data()),
                            std::min<uint64_t>(buf.size(), r.body_size - sent))));
        if (got == 0) co_return Status(Code::kIncompleteBody, "the source ended early");
        sent += got;
        req.body().data = buf.data();
        req.body().size = got;
        req.body().more = sent < r.body_size;
        lowest.expires_after(options.timeout);
        auto [wec, wn] = co_await http::async_write(stream, sr, kTuple);
        if (wec == http::error::need_buffer) wec = {};
        if (wec) co_return Status(Code::kUnavailable, "remote S3: " + wec.message());
      }
      if (!sr.is_done()) {
        req.body().data = nullptr;
        req.body().size = 0;
        req.body().more = false;
        auto [wec, wn] = co_await http::async_write(stream, sr, kTuple);
        if (wec) co_return Status(Code::kUnavailable, "remote S3: " + wec.message());
      }
    }

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (r.method == http::verb::head) parser.skip(true);  // a length, but no body
    lowest.expires_after(options.timeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (hec) co_return Status(Code::kUnavailable, "remote S3: " + hec.message());
    Response out;
    out.status = parser.get().result_int();
    const bool stream_body = sink && out.status / 100 == 2;
    std::string chunk(kChunk, '\0');
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      lowest.expires_after(options.timeout);
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (rec == http::error::need_buffer) rec = {};
      if (rec) co_return Status(Code::kUnavailable, "remote S3: " + rec.message());
      size_t got = chunk.size() - parser.get().body().size;
      if (stream_body) {
        STRATA_CO_TRY(co_await sink->Write(AsBytes(std::string_view(chunk.data(), got))));
      } else {
        out.body.append(chunk.data(), got);
        if (out.body.size() > kMaxSmallBody) {
          co_return Status(Code::kUnavailable, "remote S3: answer too large");
        }
      }
    }
    co_return out;
  }

  Task<Result<Response>> Call(const Request& r, BodySink* sink = nullptr) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, kTuple);
    if (rec) co_return Status(Code::kUnavailable, "remote S3: resolve " + host + ": " + rec.message());
    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_after(options.timeout);
    auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, kTuple);
    if (cec) co_return Status(Code::kUnavailable, "remote S3: connect: " + cec.message());
    if (!tls) co_return co_await Run(tcp_stream, r, sink);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls_context);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
      co_return Status(Code::kUnavailable, "remote S3: SNI");
    }
    stream.set_verify_callback(ssl::host_name_verification(host));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
    if (hec) co_return Status(Code::kUnavailable, "remote S3: TLS: " + hec.message());
    co_return co_await Run(stream, r, sink);
  }

  static std::string Path(std::string_view bucket, std::string_view key) {
    std::string out = "/" + UriEncode(bucket, true);
    if (!key.empty()) out += "/" + UriEncode(key, false);
    return out;
  }
};

Result<std::unique_ptr<S3Client>> S3Client::Create(S3ClientOptions options) {
  auto u = boost::urls::parse_uri(options.endpoint_url);
  if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host_address().empty() ||
      (!u->path().empty() && u->path() != "/") || u->has_query()) {
    return Status(Code::kInvalidArgument, "the endpoint must be http(s)://host[:port]");
  }
  auto impl = std::make_unique<Impl>();
  impl->tls = u->scheme() == "https";
  impl->host = u->host_address();
  impl->port = u->has_port() ? std::string(u->port()) : (impl->tls ? "443" : "80");
  impl->host_header = std::string(u->encoded_host_and_port());
  if (impl->tls) {
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
  return std::unique_ptr<S3Client>(new S3Client(std::move(impl)));
}

S3Client::S3Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
S3Client::~S3Client() = default;

Task<Status> S3Client::PutObject(std::string bucket, std::string key, uint64_t size,
                                 BodySource& body) {
  Request r{http::verb::put, Impl::Path(bucket, key), {}, &body, size};
  STRATA_CO_ASSIGN_OR_RETURN(Response res, co_await impl_->Call(r));
  if (res.status / 100 != 2) co_return FromHttp(res.status, res.body, false);
  co_return Status();
}

Task<Status> S3Client::GetObject(std::string bucket, std::string key, uint64_t offset,
                                 uint64_t length, BodySink& sink) {
  if (length == 0) co_return Status();
  std::string range = "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
  Request r{http::verb::get, Impl::Path(bucket, key), {{"range", range}}, nullptr, 0};
  STRATA_CO_ASSIGN_OR_RETURN(Response res, co_await impl_->Call(r, &sink));
  if (res.status / 100 != 2) co_return FromHttp(res.status, res.body, false);
  co_return Status();
}

Task<Status> S3Client::DeleteObject(std::string bucket, std::string key) {
  Request r{http::verb::delete_, Impl::Path(bucket, key), {}, nullptr, 0};
  STRATA_CO_ASSIGN_OR_RETURN(Response res, co_await impl_->Call(r));
  if (res.status / 100 != 2 && res.status != 404) co_return FromHttp(res.status, res.body, false);
  co_return Status();
}

Task<Status> S3Client::HeadBucket(std::string bucket) {
  Request r{http::verb::head, Impl::Path(bucket, ""), {}, nullptr, 0};
  STRATA_CO_ASSIGN_OR_RETURN(Response res, co_await impl_->Call(r));
  if (res.status / 100 != 2) co_return FromHttp(res.status, res.body, true);
  co_return Status();
}

Task<Result<std::vector<S3Client::Listed>>> S3Client::ListObjects(std::string bucket,
                                                                   std::string prefix,
                                                                   std::string start_after,
                                                                   size_t max_keys) {
  std::string target = Impl::Path(bucket, "") + "?list-type=2&max-keys=" +
                       std::to_string(max_keys) + "&prefix=" + UriEncode(prefix, true);
  if (!start_after.empty()) target += "&start-after=" + UriEncode(start_after, true);
  Request r{http::verb::get, target, {}, nullptr, 0};
  STRATA_CO_ASSIGN_OR_RETURN(Response res, co_await impl_->Call(r));
  if (res.status / 100 != 2) co_return FromHttp(res.status, res.body, true);
  pugi::xml_document doc;
  if (!doc.load_buffer(res.body.data(), res.body.size(),
                       pugi::parse_default & ~pugi::parse_doctype)) {
    co_return Status(Code::kUnavailable, "remote S3: the listing is not XML");
  }
  std::vector<Listed> out;
  for (auto c : doc.child("ListBucketResult").children("Contents")) {
    Listed l;
    l.key = c.child_value("Key");
    l.size = std::strtoull(c.child_value("Size"), nullptr, 10);
    if (auto t = ParseIso8601(c.child_value("LastModified"))) l.mtime = *t;
    out.push_back(std::move(l));
  }
  co_return out;
}

}  // namespace strata::gw
