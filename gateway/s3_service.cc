#include "gateway/s3_service.h"

#include <atomic>
#include <cstdio>

#include "common/crypto.h"
#include "gateway/handlers.h"
#include "gateway/s3_errors.h"

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
    "inventory", "lifecycle", "logging", "metrics", "notification",
    "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "replication",
    "requestPayment", "restore", "select", "torrent", "website", "session"};

Task<Status> Route(RequestContext& ctx) {
  const auto method = ctx.req().method();
  for (auto sub : kSubresources) {
    if (ctx.HasQuery(sub)) co_return Status(Code::kNotImplemented);
  }
  if (ctx.bucket.empty()) {
    if (method == http::verb::get) co_return co_await ListBuckets(ctx);
    co_return Status(Code::kMethodNotAllowed);
  }
  if (ctx.key.empty()) {
    if (ctx.HasQuery("tagging")) {
      if (method == http::verb::get) co_return co_await GetBucketTagging(ctx);
      if (method == http::verb::put) co_return co_await PutBucketTagging(ctx);
      if (method == http::verb::delete_) co_return co_await DeleteBucketTagging(ctx);
      co_return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("object-lock")) {
      if (method == http::verb::get) co_return co_await GetObjectLockConfiguration(ctx);
      if (method == http::verb::put) co_return co_await PutObjectLockConfiguration(ctx);
      co_return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("retention") || ctx.HasQuery("legal-hold")) {
      co_return Status(Code::kMethodNotAllowed);
    }
    if (ctx.HasQuery("versions") && method != http::verb::get) {
      co_return Status(Code::kMethodNotAllowed);
    }
    switch (method) {
      case http::verb::put:
        if (ctx.HasQuery("versioning")) co_return co_await PutBucketVersioning(ctx);
        co_return co_await CreateBucket(ctx);
      case http::verb::head:
        co_return co_await HeadBucket(ctx);
      case http::verb::delete_:
        if (ctx.HasQuery("versioning")) co_return Status(Code::kMethodNotAllowed);
        co_return co_await DeleteBucket(ctx);
      case http::verb::get:
        if (ctx.HasQuery("location")) co_return co_await GetBucketLocation(ctx);
        if (ctx.HasQuery("versioning")) co_return co_await GetBucketVersioning(ctx);
        if (ctx.HasQuery("versions")) co_return co_await ListObjectVersions(ctx);
        if (ctx.HasQuery("uploads")) co_return co_await ListMultipartUploads(ctx);
        if (auto lt = ctx.Query("list-type")) {
          if (lt->value != "2") co_return Status(Code::kInvalidArgument, "Invalid list-type");
          co_return co_await ListObjects(ctx, true);
        }
        co_return co_await ListObjects(ctx, false);
      case http::verb::post:
        if (ctx.HasQuery("delete")) co_return co_await DeleteObjects(ctx);
        co_return Status(Code::kMethodNotAllowed);
      default:
        co_return Status(Code::kMethodNotAllowed);
    }
  }
  STRATA_CO_TRY(ValidateKey(ctx.key));
  if (ctx.HasQuery("versions") || ctx.HasQuery("versioning") || ctx.HasQuery("object-lock")) {
    co_return Status(Code::kMethodNotAllowed);
  }
  if (ctx.HasQuery("retention")) {
    if (method == http::verb::get) co_return co_await GetObjectRetention(ctx);
    if (method == http::verb::put) co_return co_await PutObjectRetention(ctx);
    co_return Status(Code::kMethodNotAllowed);
  }
  if (ctx.HasQuery("legal-hold")) {
    if (method == http::verb::get) co_return co_await GetObjectLegalHold(ctx);
    if (method == http::verb::put) co_return co_await PutObjectLegalHold(ctx);
    co_return Status(Code::kMethodNotAllowed);
  }
  if (ctx.HasQuery("tagging")) {
    if (method == http::verb::get) co_return co_await GetObjectTagging(ctx);
    if (method == http::verb::put) co_return co_await PutObjectTagging(ctx);
    if (method == http::verb::delete_) co_return co_await DeleteObjectTagging(ctx);
    co_return Status(Code::kMethodNotAllowed);
  }
  bool copy = !ctx.Header("x-amz-copy-source").empty();
  switch (method) {
    case http::verb::put:
      if (ctx.HasQuery("uploadId") || ctx.HasQuery("partNumber")) {
        // (No co_await inside ?: — GCC 12 miscompiles it and runs both arms.)
        if (copy) co_return co_await UploadPartCopy(ctx);
        co_return co_await UploadPart(ctx);
      }
      if (copy) co_return co_await CopyObject(ctx);
      co_return co_await PutObject(ctx);
    case http::verb::get:
      if (ctx.HasQuery("uploadId")) co_return co_await ListParts(ctx);
      co_return co_await GetObject(ctx, false);
    case http::verb::head:
      co_return co_await GetObject(ctx, true);
    case http::verb::delete_:
      if (ctx.HasQuery("uploadId")) co_return co_await AbortMultipartUpload(ctx);
      co_return co_await DeleteObject(ctx);
    case http::verb::post:
      if (ctx.HasQuery("uploads")) co_return co_await CreateMultipartUpload(ctx);
      if (ctx.HasQuery("uploadId")) co_return co_await CompleteMultipartUpload(ctx);
      co_return Status(Code::kMethodNotAllowed);
    default:
      co_return Status(Code::kMethodNotAllowed);
  }
}

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
  RequestContext ctx{exchange, options_, NewRequestId(), {}, {}, {}, {}};
  Status status = ParseTarget(exchange.request().target(), ctx);
  if (status.ok()) {
    RequestView view;
    view.method = exchange.request().method_string();
    view.target = exchange.request().target();
    for (const auto& field : exchange.request()) {
      view.headers.emplace_back(field.name_string(), field.value());
    }
    const Credentials& root = options_.root;
    auto auth = Authenticate(
        view,
        [&root](std::string_view access_key) -> std::optional<std::string> {
          if (ConstantTimeEquals(access_key, root.access_key)) return root.secret_key;
          return std::nullopt;
        },
        options_.clock->Now());
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
      if (status.ok()) status = co_await Route(ctx);
    } else {
      status = auth.status();
    }
  }
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
    co_await exchange.Send(std::move(res));
    co_return;
  }
  res.set(http::field::content_type, "application/xml");
  res.body() = RenderErrorXml(status, resource, ctx.request_id);
  res.prepare_payload();
  if (status.code() == Code::kInvalidRange) res.set(http::field::accept_ranges, "bytes");
  (co_await exchange.Send(std::move(res))).IgnoreError();
}

}  // namespace strata::gw
