// The S3 operation handlers and what they share. Each handler is a plain
// coroutine over a RequestContext: it sends its own success response and
// returns a Status for anything else (rendered by S3Service in one place).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway/auth.h"
#include "gateway/exchange.h"
#include "gateway/object_layer.h"
#include "gateway/s3_service.h"
#include "gateway/uri.h"
#include "gateway/users.h"

namespace strata::gw {

struct RequestContext {
  Exchange& ex;
  const S3ServiceOptions& options;
  std::string request_id;
  std::string bucket;  // decoded; empty for service-level requests
  std::string key;     // decoded; empty for bucket-level requests
  std::vector<QueryParam> query;
  AuthResult auth;
  Principal principal;  // who signed the request
  // Extra headers for an error response (x-amz-delete-marker on a 404...).
  std::vector<std::pair<std::string, std::string>> error_headers;

  const http::request_header<>& req() const { return ex.request(); }
  ObjectLayer& objects() const { return *options.objects; }
  // nullptr when absent.
  const QueryParam* Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return Query(name) != nullptr; }
  std::string_view Header(std::string_view name) const;
  // A response with the common headers (request id, server).
  http::response<http::string_body> Response(http::status status) const;
  Task<Status> SendXml(http::status status, std::string xml) const;
  Task<Status> SendEmpty(http::status status) const;
};

// The request body as the object layer consumes it: aws-chunked decoding,
// the announced length enforced, MD5 and requested checksums computed on the
// way, the signed payload hash checked at the end.
Result<std::unique_ptr<BodySource>> MakeRequestBody(RequestContext& ctx,
                                                    std::optional<uint64_t>* decoded_length);
// Checks digests once the body has ended (BadDigest...), fills record.etag
// and record.checksums. `body` must be the source MakeRequestBody returned.
Status FinishBody(RequestContext& ctx, BodySource& body, meta::VersionRecord& record);
// Reads a small request body (XML) whole; kMalformedXML/kEntityTooLarge past max.
Task<Result<std::string>> ReadSmallBody(RequestContext& ctx, size_t max_bytes);

// Buckets.
Task<Status> ListBuckets(RequestContext& ctx);
Task<Status> CreateBucket(RequestContext& ctx);
Task<Status> HeadBucket(RequestContext& ctx);
Task<Status> DeleteBucket(RequestContext& ctx);
Task<Status> GetBucketLocation(RequestContext& ctx);
Task<Status> GetBucketVersioning(RequestContext& ctx);
Task<Status> PutBucketVersioning(RequestContext& ctx);
Task<Status> ListObjects(RequestContext& ctx, bool v2);
Task<Status> ListObjectVersions(RequestContext& ctx);
Task<Status> DeleteObjects(RequestContext& ctx);
Task<Status> PutObjectLockConfiguration(RequestContext& ctx);
Task<Status> GetObjectLockConfiguration(RequestContext& ctx);
Task<Status> GetBucketTagging(RequestContext& ctx);
Task<Status> PutBucketTagging(RequestContext& ctx);
Task<Status> DeleteBucketTagging(RequestContext& ctx);
Task<Status> GetBucketLifecycleConfiguration(RequestContext& ctx);
Task<Status> PutBucketLifecycleConfiguration(RequestContext& ctx);
Task<Status> DeleteBucketLifecycleConfiguration(RequestContext& ctx);

// Objects.
Task<Status> PutObject(RequestContext& ctx);
Task<Status> GetObject(RequestContext& ctx, bool head);
Task<Status> DeleteObject(RequestContext& ctx);
Task<Status> CopyObject(RequestContext& ctx);
Task<Status> GetObjectTagging(RequestContext& ctx);
Task<Status> PutObjectTagging(RequestContext& ctx);
Task<Status> DeleteObjectTagging(RequestContext& ctx);
Task<Status> PutObjectRetention(RequestContext& ctx);
Task<Status> GetObjectRetention(RequestContext& ctx);
Task<Status> PutObjectLegalHold(RequestContext& ctx);
Task<Status> GetObjectLegalHold(RequestContext& ctx);

// Multipart.
Task<Status> CreateMultipartUpload(RequestContext& ctx);
Task<Status> UploadPart(RequestContext& ctx);
Task<Status> UploadPartCopy(RequestContext& ctx);
Task<Status> CompleteMultipartUpload(RequestContext& ctx);
Task<Status> AbortMultipartUpload(RequestContext& ctx);
Task<Status> ListParts(RequestContext& ctx);
Task<Status> ListMultipartUploads(RequestContext& ctx);

// Shared steps.
Status ValidateBucketName(std::string_view name);
Status ValidateKey(std::string_view key);
// NoSuchBucket when the bucket does not exist.
Task<Status> RequireBucket(RequestContext& ctx);
// Stored headers from a request: Content-Type & co and x-amz-meta-*.
Result<std::vector<std::pair<std::string, std::string>>> MetadataFromRequest(
    const RequestContext& ctx);
std::string QuotedEtag(std::string_view etag);
std::string Iso8601(SysTime t);
// The source of a copy: bucket, key (decoded) and version from x-amz-copy-source.
struct CopySource {
  std::string bucket, key, version_id;
};
Result<CopySource> ParseCopySource(std::string_view header);
// Evaluates If-Match & co against an object; kPreconditionFailed/kNotModified.
Status CheckConditions(const RequestContext& ctx, const meta::VersionRecord& record,
                       std::string_view prefix);
// The versionId query parameter: latest when absent; InvalidArgument when malformed.
Result<VersionRef> RequestedVersion(const RequestContext& ctx);
// Sets x-amz-version-id for `record` when the bucket is or was versioned
// (a never-versioned bucket's objects have no version id to show).
Task<void> SetVersionHeader(RequestContext& ctx, const meta::VersionRecord& record,
                            http::fields& headers);
// Object tags from the x-amz-tagging header (URL-encoded "k=v&k2=v2"),
// validated as AWS does; empty when the header is absent.
Result<meta::StringPairs> TagsFromHeader(const RequestContext& ctx);
// x-amz-storage-class: STANDARD when absent; InvalidStorageClass unless the
// topology maps it to a pool.
Result<std::string> StorageClassFromHeader(const RequestContext& ctx);
// AWS tag rules: at most `max_tags` (10 objects, 50 buckets), keys 1..128 and
// values 0..256 characters, unique keys. InvalidTag / BadRequest.
Status ValidateTags(const meta::StringPairs& tags, size_t max_tags);
// The lock a new version starts with: the x-amz-object-lock-* headers, else
// the bucket's default retention from `now`. InvalidRequest when headers are
// given on a bucket without object lock; InvalidArgument for bad values.
Result<LockState> LockFromHeaders(const RequestContext& ctx, const meta::BucketRecord& bucket,
                                  SysTime now);
// x-amz-object-lock-* response headers of a version.
void SetLockHeaders(const meta::VersionRecord& record, http::fields& headers);
// x-amz-bypass-governance-retention: true (every caller may bypass today).
bool BypassGovernance(const RequestContext& ctx);
// A BodySource over a range of a stored object (for copies).
std::unique_ptr<BodySource> ObjectBody(ObjectLayer& objects, std::string bucket, std::string key,
                                       meta::VersionRecord record, uint64_t offset,
                                       uint64_t length);

}  // namespace strata::gw
