// Bucket-level operations and listings.
#include <charconv>

#include "common/timefmt.h"
#include "gateway/handlers.h"
#include "gateway/s3_errors.h"
#include "gateway/s3_xml.h"
#include "gateway/xml.h"

namespace strata::gw {

namespace {

constexpr std::string_view kOwnerId = "strata";

void WriteOwner(XmlWriter& x) {
  x.Open("Owner").Element("ID", kOwnerId).Element("DisplayName", kOwnerId).Close();
}

Result<size_t> ParseMaxKeys(const QueryParam* p, size_t dflt) {
  if (!p) return dflt;
  size_t v = 0;
  auto [ptr, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(), v);
  if (ec != std::errc() || ptr != p->value.data() + p->value.size() || p->value.empty()) {
    return Status(Code::kInvalidArgument, "Provided max-keys not an integer or within integer range");
  }
  return std::min<size_t>(v, 1000);
}

}  // namespace

Task<Status> ListBuckets(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto buckets, co_await ctx.objects().ListBuckets());
  XmlWriter x;
  x.Open("ListAllMyBucketsResult", kS3Xmlns);
  WriteOwner(x);
  x.Open("Buckets");
  for (const auto& b : buckets) {
    x.Open("Bucket").Element("Name", b.name).Element("CreationDate", Iso8601(b.created)).Close();
  }
  x.Close();
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> CreateBucket(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  std::string region = ctx.options.region;
  if (!body.empty()) {
    STRATA_CO_ASSIGN_OR_RETURN(std::string location, ParseCreateBucketConfiguration(body));
    if (!location.empty()) region = location;
  }
  const bool lock = boost::beast::iequals(ctx.Header("x-amz-bucket-object-lock-enabled"), "true");
  STRATA_CO_TRY(co_await ctx.objects().CreateBucket(ctx.bucket, region, lock));
  auto res = ctx.Response(http::status::ok);
  res.set(http::field::location, "/" + ctx.bucket);
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> HeadBucket(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  auto res = ctx.Response(http::status::ok);
  res.set("x-amz-bucket-region", bucket.region.empty() ? ctx.options.region : bucket.region);
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> DeleteBucket(RequestContext& ctx) {
  STRATA_CO_TRY(co_await ctx.objects().DeleteBucket(ctx.bucket));
  co_return co_await ctx.SendEmpty(http::status::no_content);
}

Task<Status> GetBucketLocation(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  XmlWriter x;
  // us-east-1 is the empty constraint, as S3 answers.
  std::string location = bucket.region == "us-east-1" ? "" : bucket.region;
  x.Open("LocationConstraint", kS3Xmlns);
  std::string doc = x.Finish();
  if (!location.empty()) {
    XmlWriter y;
    doc = y.Element("LocationConstraint", location).Finish();
    // Element() has no namespace; add it for strict clients.
    auto pos = doc.find("<LocationConstraint>");
    if (pos != std::string::npos) {
      doc.replace(pos, 20, "<LocationConstraint xmlns=\"" + std::string(kS3Xmlns) + "\">");
    }
  }
  co_return co_await ctx.SendXml(http::status::ok, doc);
}

Task<Status> GetBucketVersioning(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  XmlWriter x;
  x.Open("VersioningConfiguration", kS3Xmlns);
  // A bucket that was never versioned has no <Status> at all.
  if (!bucket.versioning.empty()) x.Element("Status", bucket.versioning);
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> PutBucketVersioning(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(VersioningConfig config, ParseVersioningConfiguration(body));
  if (config.mfa_delete_enabled) {
    co_return Status(Code::kNotImplemented, "MFA delete is not supported");
  }
  // Once versioned, a bucket never returns to unset: only the two states.
  if (config.status == VersioningStatus::kUnset) co_return Status(Code::kMalformedXML);
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  const bool enable = config.status == VersioningStatus::kEnabled;
  if (!enable && bucket.object_lock) {
    co_return Status(Code::kInvalidBucketState,
                     "An Object Lock configuration is present on this bucket, so the versioning "
                     "state cannot be changed.");
  }
  STRATA_CO_TRY(co_await ctx.objects().SetBucketVersioning(
      ctx.bucket, std::string(enable ? kVersioningEnabled : kVersioningSuspended)));
  co_return co_await ctx.SendEmpty(http::status::ok);
}

Task<Status> ListObjects(RequestContext& ctx, bool v2) {
  ListArgs args;
  args.bucket = ctx.bucket;
  if (auto p = ctx.Query("prefix")) args.prefix = p->value;
  if (auto p = ctx.Query("delimiter")) args.delimiter = p->value;
  STRATA_CO_ASSIGN_OR_RETURN(args.max_keys, ParseMaxKeys(ctx.Query("max-keys"), 1000));
  bool url = false;
  if (auto p = ctx.Query("encoding-type")) {
    if (p->value != "url") co_return Status(Code::kInvalidArgument, "Invalid Encoding Method specified in Request");
    url = true;
  }
  std::string token, start_after, marker;
  if (v2) {
    if (auto p = ctx.Query("continuation-token")) {
      auto decoded = Base64Decode(p->value);
      if (!decoded || decoded->empty() || (*decoded)[0] != 'k') {
        co_return Status(Code::kInvalidArgument, "The continuation token provided is incorrect");
      }
      token = p->value;
      args.start_after = decoded->substr(1);
    } else if (auto s = ctx.Query("start-after")) {
      start_after = s->value;
      args.start_after = start_after;
    }
  } else if (auto m = ctx.Query("marker")) {
    marker = m->value;
    args.start_after = marker;
  }
  bool fetch_owner = !v2;
  if (auto f = ctx.Query("fetch-owner")) fetch_owner = v2 && f->value == "true";
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(ListResult list, co_await ctx.objects().ListObjects(args));

  auto enc = [url](std::string_view s) { return url ? UriEncode(s, false) : std::string(s); };
  XmlWriter x;
  x.Open("ListBucketResult", kS3Xmlns);
  x.Element("Name", ctx.bucket);
  x.Element("Prefix", enc(args.prefix));
  if (v2) {
    if (!token.empty()) x.Element("ContinuationToken", token);
    if (!start_after.empty()) x.Element("StartAfter", enc(start_after));
    x.Element("KeyCount", uint64_t(list.objects.size() + list.common_prefixes.size()));
  } else {
    x.Element("Marker", enc(marker));
  }
  x.Element("MaxKeys", uint64_t(args.max_keys));
  if (!args.delimiter.empty()) x.Element("Delimiter", enc(args.delimiter));
  if (url) x.Element("EncodingType", "url");
  x.Element("IsTruncated", list.truncated);
  if (list.truncated) {
    if (v2) {
      x.Element("NextContinuationToken", Base64Encode("k" + list.next_marker));
    } else if (!args.delimiter.empty()) {
      x.Element("NextMarker", enc(list.next_marker));
    }
  }
  for (const auto& [key, rec] : list.objects) {
    x.Open("Contents");
    x.Element("Key", enc(key));
    x.Element("LastModified", Iso8601(rec.mtime));
    x.Element("ETag", QuotedEtag(rec.etag));
    if (!rec.checksums.empty()) x.Element("ChecksumAlgorithm", rec.checksums.front().first);
    x.Element("Size", rec.size);
    if (fetch_owner) WriteOwner(x);
    x.Element("StorageClass", rec.storage_class.empty() ? "STANDARD" : rec.storage_class);
    x.Close();
  }
  for (const auto& p : list.common_prefixes) {
    x.Open("CommonPrefixes").Element("Prefix", enc(p)).Close();
  }
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> ListObjectVersions(RequestContext& ctx) {
  ListVersionsArgs args;
  args.bucket = ctx.bucket;
  if (auto p = ctx.Query("prefix")) args.prefix = p->value;
  if (auto p = ctx.Query("delimiter")) args.delimiter = p->value;
  if (auto p = ctx.Query("key-marker")) args.key_marker = p->value;
  STRATA_CO_ASSIGN_OR_RETURN(args.max_keys, ParseMaxKeys(ctx.Query("max-keys"), 1000));
  std::string version_marker;
  if (auto p = ctx.Query("version-id-marker"); p && !p->value.empty()) {
    if (args.key_marker.empty()) {
      co_return Status(Code::kInvalidArgument,
                       "A version-id marker cannot be specified without a key marker.");
    }
    version_marker = p->value;
    STRATA_CO_ASSIGN_OR_RETURN(args.version_marker, ParseVersionId(version_marker));
  }
  bool url = false;
  if (auto p = ctx.Query("encoding-type")) {
    if (p->value != "url") {
      co_return Status(Code::kInvalidArgument, "Invalid Encoding Method specified in Request");
    }
    url = true;
  }
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(ListVersionsResult list,
                             co_await ctx.objects().ListObjectVersions(args));

  auto enc = [url](std::string_view s) { return url ? UriEncode(s, false) : std::string(s); };
  XmlWriter x;
  x.Open("ListVersionsResult", kS3Xmlns);
  x.Element("Name", ctx.bucket);
  x.Element("Prefix", enc(args.prefix));
  x.Element("KeyMarker", enc(args.key_marker));
  x.Element("VersionIdMarker", version_marker);
  if (list.truncated) {
    x.Element("NextKeyMarker", enc(list.next_key_marker));
    if (!list.next_version_marker.empty()) {
      x.Element("NextVersionIdMarker", list.next_version_marker);
    }
  }
  x.Element("MaxKeys", uint64_t(args.max_keys));
  if (!args.delimiter.empty()) x.Element("Delimiter", enc(args.delimiter));
  if (url) x.Element("EncodingType", "url");
  x.Element("IsTruncated", list.truncated);
  for (const auto& v : list.versions) {
    const meta::VersionRecord& rec = v.record;
    x.Open(rec.delete_marker ? "DeleteMarker" : "Version");
    x.Element("Key", enc(v.key));
    x.Element("VersionId", S3VersionId(rec));
    x.Element("IsLatest", v.is_latest);
    x.Element("LastModified", Iso8601(rec.mtime));
    if (!rec.delete_marker) {
      x.Element("ETag", QuotedEtag(rec.etag));
      if (!rec.checksums.empty()) x.Element("ChecksumAlgorithm", rec.checksums.front().first);
      x.Element("Size", rec.size);
      x.Element("StorageClass", rec.storage_class.empty() ? "STANDARD" : rec.storage_class);
    }
    WriteOwner(x);
    x.Close();
  }
  for (const auto& p : list.common_prefixes) {
    x.Open("CommonPrefixes").Element("Prefix", enc(p)).Close();
  }
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> DeleteObjects(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(DeleteRequest request, ParseDeleteObjects(body));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  XmlWriter x;
  x.Open("DeleteResult", kS3Xmlns);
  for (const auto& obj : request.objects) {
    Status st = ValidateKey(obj.key);
    VersionRef ref;
    if (st.ok() && !obj.version_id.empty()) {
      auto parsed = ParseVersionId(obj.version_id);
      if (parsed.ok()) {
        ref = std::move(*parsed);
      } else {
        st = parsed.status();
      }
    }
    DeleteResult done;
    if (st.ok()) {
      auto r = co_await ctx.objects().DeleteObject(ctx.bucket, obj.key, ref, BypassGovernance(ctx));
      if (r.ok()) {
        done = std::move(*r);
      } else {
        st = r.status();
      }
    }
    if (st.ok()) {
      if (!request.quiet) {
        x.Open("Deleted").Element("Key", obj.key);
        if (!obj.version_id.empty()) x.Element("VersionId", obj.version_id);
        if (done.delete_marker) {
          x.Element("DeleteMarker", true);
          x.Element("DeleteMarkerVersionId", done.version_id);
        }
        x.Close();
      }
    } else {
      x.Open("Error").Element("Key", obj.key);
      if (!obj.version_id.empty()) x.Element("VersionId", obj.version_id);
      const ErrorInfo& info = LookupError(st.code());
      x.Element("Code", info.s3_code);
      // Internal messages may name drives or paths: clients get the table's text.
      x.Element("Message", st.message().empty() || info.internal ? info.message : st.message());
      x.Close();
    }
  }
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

}  // namespace strata::gw
