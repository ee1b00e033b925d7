#include "gateway/s3_service.h"

#include <atomic>
#include <cstdio>

#include "common/crypto.h"
#include "common/log.h"
#include "gateway/handlers.h"
#include "gateway/s3_errors.h"
#include "gateway/s3_metrics.h"
#include "gateway/users.h"

namespace strata::gw {
namespace {

std::string NewRequestId() {
  // Unique and cheap: a process-random prefix and a counter.
  static const std::string prefix = HexEncode(RandomBytes(4));
  static std::atomic<uint64_t> counter{0};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llX",
                static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed)));
  return prefix + buf;
}

// Sub-resources S3 routes on; any of these we do not implement answers
// NotImplemented rather than being mistaken for a plain GET or PUT.
constexpr std::string_view kSubresources[] = {
    "accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
    "inventory", "logging", "metrics", "notification",
    "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
    "requestPayment", "restore", "select", "torrent", "website", "session"};

// Handlers that take a flag, as plain one-argument handlers for the table.
Task<Status> GetObjectOp(RequestContext& ctx) { return GetObject(ctx, false); }
Task<Status> HeadObjectOp(RequestContext& ctx) { return GetObject(ctx, true); }
Task<Status> ListObjectsV1Op(RequestContext& ctx) { return ListObjects(ctx, false); }
Task<Status> ListObjectsV2Op(RequestContext& ctx) { return ListObjects(ctx, true); }

using Handler = Task<Status> (*)(RequestContext&);
struct Operation {
  size_t api = 0;  // index into kS3Apis
  Handler handler = nullptr;
  bool write = true;  // changes something: refused to readonly users
};

// Reads are the Get*, Head* and List* operations; everything else writes.
constexpr bool IsWriteApi(std::string_view api) {
  return !(api.starts_with("Get") || api.starts_with("Head") || api.starts_with("List"));
}

#define STRATA_OP(api, fn) Operation{S3ApiIndex(api), &fn, IsWriteApi(api)}

// The operation a request names, resolved before authentication so that even
// a refused request is counted under its API.
Result<Operation> Resolve(const RequestContext& ctx) {
  const auto method = ctx.req().method();
  for (auto sub : kSubresources) {
    if (ctx.HasQuery(sub)) return Status(Code::kNotImplemented);
  }
  if (ctx.bucket.empty()) {
    if (method == http::verb::get) return STRATA_OP("ListBuckets", ListBuckets);
    return Status(Code::kMethodNotAllowed);
  }
  if (ctx.key.empty()) {
    if (ctx.HasQuery("tagging")) {
      if (method == http::verb::get) return STRATA_OP("GetBucketTagging", GetBucketTagging);
      if (method == http::verb::put) return STRATA_OP("PutBucketTagging", PutBucketTagging);
      if (method == http::verb::delete_) return STRATA_OP("DeleteBucketTagging", DeleteBucketTagging);
      return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("lifecycle")) {
      if (method == http::verb::get) return STRATA_OP("GetBucketLifecycleConfiguration", GetBucketLifecycleConfiguration);
      if (method == http::verb::put) return STRATA_OP("PutBucketLifecycleConfiguration", PutBucketLifecycleConfiguration);
      if (method == http::verb::delete_) return STRATA_OP("DeleteBucketLifecycle", DeleteBucketLifecycleConfiguration);
      return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("object-lock")) {
      if (method == http::verb::get) return STRATA_OP("GetObjectLockConfiguration", GetObjectLockConfiguration);
      if (method == http::verb::put) return STRATA_OP("PutObjectLockConfiguration", PutObjectLockConfiguration);
      return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("retention") || ctx.HasQuery("legal-hold")) {
      return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("versions") && method != http::verb::get) {
      return Status(Code::kMethodNotAllowed);
    }
    switch (method) {
      case http::verb::put:
        if (ctx.HasQuery("versioning")) return STRATA_OP("PutBucketVersioning", PutBucketVersioning);
        return STRATA_OP("CreateBucket", CreateBucket);
      case http::verb::head:
        return STRATA_OP("HeadBucket", HeadBucket);
      case http::verb::delete_:
        if (ctx.HasQuery("versioning")) return Status(Code::kMethodNotAllowed);
        return STRATA_OP("DeleteBucket", DeleteBucket);
      case http::verb::get:
        if (ctx.HasQuery("location")) return STRATA_OP("GetBucketLocation", GetBucketLocation);
        if (ctx.HasQuery("versioning")) return STRATA_OP("GetBucketVersioning", GetBucketVersioning);
        if (ctx.HasQuery("versions")) return STRATA_OP("ListObjectVersions", ListObjectVersions);
        if (ctx.HasQuery("uploads")) return STRATA_OP("ListMultipartUploads", ListMultipartUploads);
        if (auto lt = ctx.Query("list-type")) {
          if (lt->value != "2") return Status(Code::kInvalidArgument, "Invalid list-type");
          return STRATA_OP("ListObjectsV2", ListObjectsV2Op);
        }
        return STRATA_OP("ListObjects", ListObjectsV1Op);
      case http::verb::post:
        if (ctx.HasQuery("delete")) return STRATA_OP("DeleteObjects", DeleteObjects);
        return Status(Code::kMethodNotAllowed);
      default:
        return Status(Code::kMethodNotAllowed);
    }
  }
  STRATA_TRY(ValidateKey(ctx.key));
  if (ctx.HasQuery("versions") || ctx.HasQuery("versioning") || ctx.HasQuery("object-lock") ||
      ctx.HasQuery("lifecycle")) {
    return Status(Code::kMethodNotAllowed);
  }
  if (ctx.HasQuery("retention")) {
    if (method == http::verb::get) return STRATA_OP("GetObjectRetention", GetObjectRetention);
    if (method == http::verb::put) return STRATA_OP("PutObjectRetention", PutObjectRetention);
    return Status(Code::kMethodNotAllowed);
  }
  if (ctx.HasQuery("legal-hold")) {
    if (method == http::verb::get) return STRATA_OP("GetObjectLegalHold", GetObjectLegalHold);
    if (method == http::verb::put) return STRATA_OP("PutObjectLegalHold", PutObjectLegalHold);
    return Status(Code::kMethodNotAllowed);
  }
  if (ctx.HasQuery("tagging")) {
    if (method == http::verb::get) return STRATA_OP("GetObjectTagging", GetObjectTagging);
    if (method == http::verb::put) return STRATA_OP("PutObjectTagging", PutObjectTagging);
    if (method == http::verb::delete_) return STRATA_OP("DeleteObjectTagging", DeleteObjectTagging);
    return Status(Code::kMethodNotAllowed);
  }
  bool copy = !ctx.Header("x-amz-copy-source").empty();
  switch (method) {
    case http::verb::put:
      if (ctx.HasQuery("uploadId") || ctx.HasQuery("partNumber")) {
        if (copy) return STRATA_OP("UploadPartCopy", UploadPartCopy);
        return STRATA_OP("UploadPart", UploadPart);
      }
      if (copy) return STRATA_OP("CopyObject", CopyObject);
      return STRATA_OP("PutObject", PutObject);
    case http::verb::get:
      if (ctx.HasQuery("uploadId")) return STRATA_OP("ListParts", ListParts);
      return STRATA_OP("GetObject", GetObjectOp);
    case http::verb::head:
      return STRATA_OP("HeadObject", HeadObjectOp);
    case http::verb::delete_:
      if (ctx.HasQuery("uploadId")) return STRATA_OP("AbortMultipartUpload", AbortMultipartUpload);
      return STRATA_OP("DeleteObject", DeleteObject);
    case http::verb::post:
      if (ctx.HasQuery("uploads")) return STRATA_OP("CreateMultipartUpload", CreateMultipartUpload);
      if (ctx.HasQuery("uploadId")) return STRATA_OP("CompleteMultipartUpload", CompleteMultipartUpload);
      return Status(Code::kMethodNotAllowed);
    default:
      return Status(Code::kMethodNotAllowed);
  }
}

#undef STRATA_OP

// Splits "/bucket/key?query" (path style). The key keeps every byte after the
// bucket's slash, including further slashes.
Status ParseTarget(std::string_view target, RequestContext& ctx) {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (path.empty() || path[0] != '/') return Status(Code::kInvalidArgument, "bad request target");
  path.remove_prefix(1);
  size_t slash = path.find('/');
  STRATA_ASSIGN_OR_RETURN(ctx.bucket, UriDecode(path.substr(0, slash)));
  if (slash != std::string_view::npos) {
    STRATA_ASSIGN_OR_RETURN(ctx.key, UriDecode(path.substr(slash + 1)));
  }
  if (q != std::string_view::npos) {
    STRATA_ASSIGN_OR_RETURN(ctx.query, ParseQuery(target.substr(q + 1)));
  }
  return Status();
}

}  // namespace

S3Service::S3Service(S3ServiceOptions options) : options_(std::move(options)) {}

Task<void> S3Service::Handle(Exchange& exchange) {
  const auto start = std::chrono::steady_clock::now();
  if (options_.metrics) options_.metrics->Begin();
  Outcome out;
  co_await Serve(exchange, out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& t = exchange.traffic();
  if (options_.metrics) options_.metrics->End(out.api, t.status, t.received, t.sent, seconds);
  const bool server_error = !out.status.ok() && LookupError(out.status.code()).http_status >= 500;
  if (server_error) {
    // The internal message (which may name drives) goes to the operator only.
    log::Warn("request failed", {{"request_id", out.request_id},
                                 {"api", kS3Apis[out.api]},
                                 {"bucket", out.bucket},
                                 {"key", out.key},
                                 {"error", out.status.ToString()}});
  }
  if (options_.access_log) {
    log::Info("access", {{"request_id", out.request_id},
                         {"api", kS3Apis[out.api]},
                         {"method", std::string_view(exchange.request().method_string())},
                         {"bucket", out.bucket},
                         {"key", out.key},
                         {"status", t.status},
                         {"error", out.status.ok() ? std::string_view("-")
                                                   : LookupError(out.status.code()).s3_code},
                         {"rx", t.received},
                         {"tx", t.sent},
                         {"ms", seconds * 1000},
                         {"access_key", out.access_key.empty() ? "-" : out.access_key}});
  }
}

Task<void> S3Service::Serve(Exchange& exchange, Outcome& out) {
  RequestContext ctx{exchange, options_, NewRequestId(), {}, {}, {}, {}, {}};
  Status status = ParseTarget(exchange.request().target(), ctx);
  // Resolved before authentication so every request counts under its API;
  // its refusals (NotImplemented...) still come after authentication.
  Result<Operation> op = status.ok() ? Resolve(ctx) : Result<Operation>(status);
  out.api = op.ok() ? op->api : 0;
  out.request_id = ctx.request_id;
  if (status.ok()) {
    RequestView view;
    view.method = exchange.request().method_string();
    view.target = exchange.request().target();
    for (const auto& field : exchange.request()) {
      view.headers.emplace_back(field.name_string(), field.value());
    }
    auto auth = Authenticate(
        view,
        [this, &ctx, &out](std::string_view access_key) -> std::optional<std::string> {
          // Logged even when the signature fails: which key was tried matters.
          out.access_key = access_key;
          if (options_.users) {
            auto found = options_.users->Find(access_key);
            if (!found) return std::nullopt;
            ctx.principal = std::move(found->principal);
            return std::move(found->secret_key);
          }
          if (!ConstantTimeEquals(access_key, options_.root.access_key)) return std::nullopt;
          ctx.principal = Principal{"root", true, Policy::kReadWrite};
          return options_.root.secret_key;
        },
        options_.clock->Now());
    if (auth.ok() && op.ok() && op->write && !ctx.principal.may_write()) {
      auth = Status(Code::kAccessDenied);
    }
    if (auth.ok()) {
      ctx.auth = std::move(*auth);
      // Authenticated: the client may send its body (as S3 answers 100 early).
      status = co_await exchange.Continue();
      if (status.ok() && !ctx.bucket.empty() && ctx.key.empty()) {
        status = ValidateBucketName(ctx.bucket);
      }
      if (status.ok() && !ctx.bucket.empty() && !ctx.key.empty() &&
          ctx.bucket.find('\0') != std::string::npos) {
        status = Status(Code::kInvalidBucketName);
      }
      if (status.ok()) status = op.status();
      if (status.ok()) status = co_await op->handler(ctx);
    } else {
      status = auth.status();
    }
  }
  out.bucket = ctx.bucket;
  out.key = ctx.key;
  out.status = status;
  if (status.ok()) co_return;
  if (exchange.response_started()) {
    // Mid-stream failure: the status line is gone; closing is all that is left.
    exchange.CloseAfterResponse();
    co_return;
  }
  const ErrorInfo& info = LookupError(status.code());
  auto res = ctx.Response(static_cast<http::status>(info.http_status));
  for (const auto& [name, value] : ctx.error_headers) res.set(name, value);
  std::string resource(exchange.request().target().substr(
      0, exchange.request().target().find('?')));
  if (info.http_status == 304 || exchange.request().method() == http::verb::head) {
    // No body: 304 never has one, HEAD errors carry only the status.
    res.content_length(0);
    (co_await exchange.Send(std::move(res))).IgnoreError();
    co_return;
  }
  res.set(http::field::content_type, "application/xml");
  res.body() = RenderErrorXml(status, resource, ctx.request_id);
  res.prepare_payload();
  if (status.code() == Code::kInvalidRange) res.set(http::field::accept_ranges, "bytes");
  (co_await exchange.Send(std::move(res))).IgnoreError();
}

}  // namespace strata::gw
