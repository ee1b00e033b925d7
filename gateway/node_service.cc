#include "gateway/node_service.h"

#include <cstring>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/log.h"
#include "gateway/node_codec.h"
#include "gateway/uri.h"

namespace strata::gw {
namespace {

using node::Json;

// (GCC 12 may destroy temporaries of a co_await expression twice: the
// arguments of awaited calls below are named variables.)

const QueryParam* Find(const std::vector<QueryParam>& q, std::string_view name) {
  for (const auto& p : q) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string_view HeaderOf(const http::request_header<>& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value());
}

Result<uint64_t> NumberParam(const std::vector<QueryParam>& q, std::string_view name) {
  const QueryParam* p = Find(q, name);
  if (!p || p->value.empty() || p->value.size() > 19 ||
      p->value.find_first_not_of("0123456789") != std::string::npos) {
    return Status(Code::kInvalidArgument, "bad " + std::string(name));
  }
  return std::stoull(p->value);
}

// Reads exactly out.size() bytes of the body; false at a clean end first.
Task<Result<bool>> ReadExactly(Exchange& ex, MutableByteSpan out) {
  size_t got = 0;
  while (got < out.size()) {
    auto n = co_await ex.ReadBody(out.subspan(got));
    if (!n.ok()) co_return n.status();
    if (*n == 0) {
      if (got == 0) co_return false;
      co_return Status(Code::kIncompleteBody, "the stream ended inside a frame");
    }
    got += *n;
  }
  co_return true;
}

}  // namespace

NodeService::NodeService(NodeServiceOptions options)
    : options_(std::move(options)),
      key_(node::SigningKey(options_.cluster_secret)),
      guard_(options_.replay_window) {}

Task<void> NodeService::Handle(Exchange& exchange) {
  Status st = co_await Serve(exchange);
  if (st.ok()) co_return;
  if (exchange.response_started()) {
    exchange.CloseAfterResponse();
    co_return;
  }
  // An unread body stays unread: the connection closes after this answer.
  if (!exchange.body_done()) exchange.CloseAfterResponse();
  const unsigned http_status = st.code() == Code::kAccessDenied ? 403 : 400;
  Json answer = node::Answer(st);
  (co_await SendCbor(exchange, http_status, answer)).IgnoreError();
}

Task<Status> NodeService::SendCbor(Exchange& exchange, unsigned status, const Json& doc) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/cbor");
  std::vector<uint8_t> bytes = Json::to_cbor(doc);
  res.body().assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  res.prepare_payload();
  co_return co_await exchange.Send(std::move(res));
}

Task<Status> NodeService::Serve(Exchange& exchange) {
  const auto& req = exchange.request();
  std::string_view target = req.target();
  node::NodeHeaders headers{HeaderOf(req, "x-strata-date"), HeaderOf(req, "x-strata-nonce"),
                            HeaderOf(req, "x-strata-content-sha256"),
                            HeaderOf(req, "authorization")};
  STRATA_CO_ASSIGN_OR_RETURN(node::VerifiedRequest auth,
                             node::VerifyRequest(key_, req.method_string(), target, headers, guard_,
                                                 options_.clock->Now()));
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::vector<QueryParam> query;
  if (q != std::string_view::npos) {
    STRATA_CO_ASSIGN_OR_RETURN(query, ParseQuery(target.substr(q + 1)));
  }
  if (path == "/internal/v1/ping") co_return co_await Ping(exchange);
  const QueryParam* drive_name = Find(query, "drive");
  if (!drive_name) co_return Status(Code::kInvalidArgument, "no drive named");
  auto it = options_.drives.find(drive_name->value);
  if (it == options_.drives.end() || !it->second) {
    co_return Status(Code::kUnavailable, "this node does not serve " + drive_name->value);
  }
  server::Drive& drive = *it->second;
  if (path == "/internal/v1/rpc" && req.method() == http::verb::post) {
    co_return co_await Rpc(exchange, drive, auth);
  }
  if (path == "/internal/v1/shard") {
    const QueryParam* id = Find(query, "id");
    if (!id) co_return Status(Code::kInvalidArgument, "no shard id");
    if (req.method() == http::verb::put) {
      if (auth.body_sha256 != node::kStreamingBody) {
        co_return Status(Code::kInvalidArgument, "shard writes are streamed");
      }
      co_return co_await WriteShard(exchange, drive, id->value, auth);
    }
    if (req.method() == http::verb::get) {
      STRATA_CO_ASSIGN_OR_RETURN(uint64_t offset, NumberParam(query, "offset"));
      STRATA_CO_ASSIGN_OR_RETURN(uint64_t length, NumberParam(query, "length"));
      co_return co_await ReadShard(exchange, drive, id->value, offset, length);
    }
  }
  co_return Status(Code::kInvalidArgument, "no such internal route");
}

Task<Status> NodeService::Ping(Exchange& exchange) {
  Json drives = Json::array();
  for (const auto& [name, drive] : options_.drives) {
    Json d = {{"name", name}, {"online", drive && drive->online()}};
    if (drive && drive->online()) {
      if (auto u = drive->Usage(); u.ok()) d["usage"] = node::EncodeUsage(*u);
      if (auto s = drive->IndexStatistics(); s.ok()) d["stats"] = node::EncodeIndexStats(*s);
    }
    drives.push_back(std::move(d));
  }
  Json result = {{"node", options_.node}, {"drives", std::move(drives)}};
  Json answer = node::Answer(Status(), std::move(result));
  co_return co_await SendCbor(exchange, 200, answer);
}

Task<Status> NodeService::Rpc(Exchange& exchange, server::Drive& drive,
                              const node::VerifiedRequest& auth) {
  std::string body;
  std::string buf(64 << 10, '\0');
  for (;;) {
    MutableByteSpan span(reinterpret_cast<std::byte*>(buf.data()), buf.size());
    STRATA_CO_ASSIGN_OR_RETURN(size_t n, co_await exchange.ReadBody(span));
    if (n == 0) break;
    body.append(buf.data(), n);
    if (body.size() > options_.max_rpc_body) {
      co_return Status(Code::kEntityTooLarge, "internal API request too large");
    }
  }
  if (!ConstantTimeEquals(Sha256Hex(body), auth.body_sha256)) {
    co_return Status(Code::kAccessDenied, "internal API: body does not match its signature");
  }
  Json request = Json::from_cbor(body, /*strict=*/true, /*allow_exceptions=*/false);
  if (!request.is_object()) co_return Status(Code::kInvalidArgument, "not a CBOR map");
  STRATA_CO_ASSIGN_OR_RETURN(std::string op, node::Str(request, "op"));

  Status status;
  Json result = nullptr;
  auto str = [&](const char* f) { return node::Str(request, f); };
  if (op == "apply") {
    if (!request.contains("txn")) co_return Status(Code::kInvalidArgument, "no txn");
    STRATA_CO_ASSIGN_OR_RETURN(server::DriveTxn txn, node::DecodeTxn(request["txn"]));
    status = co_await drive.Apply(std::move(txn));
  } else if (op == "get_bucket") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string name, str("name"));
    auto r = co_await drive.GetBucket(name);
    status = r.status();
    if (r.ok()) result = node::EncodeRecord(*r);
  } else if (op == "list_buckets") {
    auto r = co_await drive.ListBuckets();
    status = r.status();
    if (r.ok()) result = node::EncodeRecords(*r);
  } else if (op == "bucket_has_anything") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string bucket, str("bucket"));
    auto r = co_await drive.BucketHasAnything(bucket);
    status = r.status();
    if (r.ok()) result = *r;
  } else if (op == "get_versions" || op == "get_null_versions") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string bucket, str("bucket"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string key, str("key"));
    Result<std::vector<meta::VersionRecord>> r = Status(Code::kInternal, "no answer");
    if (op == "get_versions") {
      STRATA_CO_ASSIGN_OR_RETURN(uint64_t limit, node::U64(request, "limit"));
      r = co_await drive.GetVersions(bucket, key, static_cast<size_t>(limit));
    } else {
      r = co_await drive.GetNullVersions(bucket, key);
    }
    status = r.status();
    if (r.ok()) result = node::EncodeRecords(*r);
  } else if (op == "get_version" || op == "get_inline") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string bucket, str("bucket"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string key, str("key"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string id, node::Blob(request, "version_id"));
    if (op == "get_version") {
      auto r = co_await drive.GetVersion(bucket, key, id);
      status = r.status();
      if (r.ok()) result = node::EncodeRecord(*r);
    } else {
      auto r = co_await drive.GetInline(bucket, key, id);
      status = r.status();
      if (r.ok()) result = node::BlobOf(*r);
    }
  } else if (op == "list_latest" || op == "list_versions") {
    if (!request.contains("request")) co_return Status(Code::kInvalidArgument, "no request");
    STRATA_CO_ASSIGN_OR_RETURN(server::ListRequest list,
                               node::DecodeListRequest(request["request"]));
    Result<server::ListPage> r = Status(Code::kInternal, "no answer");
    if (op == "list_latest") {
      r = co_await drive.ListLatest(std::move(list));
    } else {
      r = co_await drive.ListVersions(std::move(list));
    }
    status = r.status();
    if (r.ok()) result = node::EncodeListPage(*r);
  } else if (op == "get_upload") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string bucket, str("bucket"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string key, str("key"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, str("upload_id"));
    auto r = co_await drive.GetUpload(bucket, key, upload_id);
    status = r.status();
    if (r.ok()) result = node::EncodeRecord(*r);
  } else if (op == "list_parts") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, str("upload_id"));
    auto r = co_await drive.ListParts(upload_id);
    status = r.status();
    if (r.ok()) result = node::EncodeRecords(*r);
  } else if (op == "list_uploads") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string bucket, str("bucket"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string prefix, str("prefix"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string key_marker, str("key_marker"));
    STRATA_CO_ASSIGN_OR_RETURN(std::string upload_marker, str("upload_id_marker"));
    STRATA_CO_ASSIGN_OR_RETURN(uint64_t limit, node::U64(request, "limit"));
    auto r = co_await drive.ListUploads(bucket, prefix, key_marker, upload_marker,
                                        static_cast<size_t>(std::min<uint64_t>(limit, 100000)));
    status = r.status();
    if (r.ok()) result = node::EncodeRecords(*r);
  } else if (op == "list_config") {
    STRATA_CO_ASSIGN_OR_RETURN(std::string kind, str("kind"));
    auto r = co_await drive.ListConfig(kind);
    status = r.status();
    if (r.ok()) result = node::EncodeRecords(*r);
  } else {
    co_return Status(Code::kInvalidArgument, "unknown internal API call " + op);
  }
  Json answer = node::Answer(status, std::move(result));
  co_return co_await SendCbor(exchange, 200, answer);
}

Task<Status> NodeService::WriteShard(Exchange& exchange, server::Drive& drive, std::string data_id,
                                     const node::VerifiedRequest& auth) {
  STRATA_CO_ASSIGN_OR_RETURN(auto writer, co_await drive.CreateShard(data_id));
  Hasher sha(HashAlgorithm::kSha256);
  std::string frame;
  for (;;) {
    uint8_t len_bytes[4];
    MutableByteSpan len_span(reinterpret_cast<std::byte*>(len_bytes), 4);
    STRATA_CO_ASSIGN_OR_RETURN(bool more, co_await ReadExactly(exchange, len_span));
    if (!more) co_return Status(Code::kIncompleteBody, "the shard stream ended unsigned");
    const uint32_t len = (uint32_t{len_bytes[0]} << 24) | (uint32_t{len_bytes[1]} << 16) |
                         (uint32_t{len_bytes[2]} << 8) | uint32_t{len_bytes[3]};
    if (len == 0) break;
    if (len > (64u << 20)) co_return Status(Code::kInvalidArgument, "shard frame too large");
    frame.resize(len);
    MutableByteSpan span(reinterpret_cast<std::byte*>(frame.data()), len);
    STRATA_CO_ASSIGN_OR_RETURN(bool got, co_await ReadExactly(exchange, span));
    if (!got) co_return Status(Code::kIncompleteBody, "the stream ended inside a frame");
    sha.Update(std::string_view(frame));
    ByteSpan data = AsBytes(std::string_view(frame));
    STRATA_CO_TRY(co_await writer->Append(data));
  }
  // The closing frame: the body's SHA-256 and its HMAC, checked before the
  // shard becomes durable and visible (the writer discards it otherwise).
  std::string tail(32 + 64, '\0');
  MutableByteSpan tail_span(reinterpret_cast<std::byte*>(tail.data()), tail.size());
  STRATA_CO_ASSIGN_OR_RETURN(bool have_tail, co_await ReadExactly(exchange, tail_span));
  if (!have_tail) co_return Status(Code::kIncompleteBody, "the shard stream ended unsigned");
  std::string digest = sha.Finish();
  std::string digest_hex = HexEncode(digest);
  std::string expected = node::BodySignature(key_, auth.signature, digest_hex);
  if (!ConstantTimeEquals(tail.substr(0, 32), digest) ||
      !ConstantTimeEquals(tail.substr(32), expected)) {
    co_return Status(Code::kAccessDenied,
                     "internal API: shard stream does not match its signature");
  }
  // Nothing may follow the closing frame.
  std::byte extra[1];
  STRATA_CO_ASSIGN_OR_RETURN(size_t after, co_await exchange.ReadBody(MutableByteSpan(extra, 1)));
  if (after != 0) co_return Status(Code::kInvalidArgument, "bytes after the closing frame");
  Status committed = co_await writer->Commit();
  Json answer = node::Answer(committed);
  co_return co_await SendCbor(exchange, 200, answer);
}

Task<Status> NodeService::ReadShard(Exchange& exchange, server::Drive& drive, std::string data_id,
                                    uint64_t offset, uint64_t length) {
  if (length > options_.max_read) co_return Status(Code::kInvalidArgument, "read too large");
  std::string buf(length, '\0');
  MutableByteSpan span(reinterpret_cast<std::byte*>(buf.data()), buf.size());
  auto n = co_await drive.ReadShard(data_id, offset, span);
  if (!n.ok()) {
    Json answer = node::Answer(n.status());
    co_return co_await SendCbor(exchange, 200, answer);
  }
  buf.resize(*n);
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/octet-stream");
  res.body() = std::move(buf);
  res.prepare_payload();
  co_return co_await exchange.Send(std::move(res));
}

}  // namespace strata::gw
