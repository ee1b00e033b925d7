// Tagging: object tags (per version, in place) and bucket tags, with AWS's
// limits; the x-amz-tagging header form shared by PUT, COPY and multipart.
#include "gateway/handlers.h"
#include "gateway/s3_xml.h"
#include "gateway/xml.h"

namespace strata::gw {

namespace {

constexpr size_t kMaxObjectTags = 10;
constexpr size_t kMaxBucketTags = 50;
constexpr size_t kMaxTagKey = 128;
constexpr size_t kMaxTagValue = 256;
constexpr std::string_view kBucketTagging = "tagging";

// Unicode characters in UTF-8 text (AWS counts characters, not bytes).
size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string EncodeTags(const meta::StringPairs& tags) {
  std::string out;
  for (const auto& [key, value] : tags) {
    if (!out.empty()) out += '&';
    out += UriEncode(key, true);
    out += '=';
    out += UriEncode(value, true);
  }
  return out;
}

Result<meta::StringPairs> DecodeTags(std::string_view encoded) {
  meta::StringPairs tags;
  if (encoded.empty()) return tags;
  STRATA_ASSIGN_OR_RETURN(auto params, ParseQuery(encoded));
  for (auto& p : params) tags.emplace_back(std::move(p.name), std::move(p.value));
  return tags;
}

std::string TaggingXml(const meta::StringPairs& tags) {
  XmlWriter x;
  x.Open("Tagging", kS3Xmlns).Open("TagSet");
  for (const auto& [key, value] : tags) {
    x.Open("Tag").Element("Key", key).Element("Value", value).Close();
  }
  return x.Finish();
}

Task<Result<meta::StringPairs>> ReadTagging(RequestContext& ctx, size_t max_tags) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(meta::StringPairs tags, ParseTagging(body));
  STRATA_CO_TRY(ValidateTags(tags, max_tags));
  co_return tags;
}

}  // namespace

Status ValidateTags(const meta::StringPairs& tags, size_t max_tags) {
  if (tags.size() > max_tags) {
    return Status(Code::kBadRequest, max_tags == kMaxObjectTags
                                         ? "Object tags cannot be greater than 10"
                                         : "Bucket tag count cannot be greater than 50");
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    const auto& [key, value] = tags[i];
    if (key.empty() || Utf8Length(key) > kMaxTagKey) {
      return Status(Code::kInvalidTag, "The TagKey you have provided is invalid");
    }
    if (Utf8Length(value) > kMaxTagValue) {
      return Status(Code::kInvalidTag, "The TagValue you have provided is invalid");
    }
    if (key.starts_with("aws:")) {
      return Status(Code::kInvalidTag, "Your TagKey cannot be prefixed with aws:");
    }
    for (size_t j = 0; j < i; ++j) {
      if (tags[j].first == key) {
        return Status(Code::kInvalidTag, "Cannot provide multiple Tags with the same key");
      }
    }
  }
  return Status();
}

Result<meta::StringPairs> TagsFromHeader(const RequestContext& ctx) {
  std::string_view header = ctx.Header("x-amz-tagging");
  if (header.empty()) return meta::StringPairs{};
  auto params = ParseQuery(header);
  if (!params.ok()) return Status(Code::kInvalidTag, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
  meta::StringPairs tags;
  for (auto& p : *params) tags.emplace_back(std::move(p.name), std::move(p.value));
  STRATA_TRY(ValidateTags(tags, kMaxObjectTags));
  return tags;
}

// ---- Object tagging --------------------------------------------------------------

Task<Status> GetObjectTagging(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  auto found = co_await ctx.objects().HeadObject(ctx.bucket, ctx.key, ref);
  if (!found.ok()) {
    if (found.status().code() == Code::kNoSuchKey) STRATA_CO_TRY(co_await RequireBucket(ctx));
    co_return found.status();
  }
  if (found->delete_marker) {
    ctx.error_headers.emplace_back("x-amz-delete-marker", "true");
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  auto res = ctx.Response(http::status::ok);
  co_await SetVersionHeader(ctx, *found, res);
  res.set(http::field::content_type, "application/xml");
  res.body() = TaggingXml(found->tags);
  res.prepare_payload();
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> PutObjectTagging(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(meta::StringPairs tags, co_await ReadTagging(ctx, kMaxObjectTags));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(
      auto record, co_await ctx.objects().SetObjectTags(ctx.bucket, ctx.key, ref, std::move(tags)));
  auto res = ctx.Response(http::status::ok);
  co_await SetVersionHeader(ctx, record, res);
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> DeleteObjectTagging(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto record,
                             co_await ctx.objects().SetObjectTags(ctx.bucket, ctx.key, ref, {}));
  auto res = ctx.Response(http::status::no_content);
  co_await SetVersionHeader(ctx, record, res);
  co_return co_await ctx.ex.Send(std::move(res));
}

// ---- Bucket tagging --------------------------------------------------------------

Task<Status> GetBucketTagging(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  auto it = bucket.config.find(std::string(kBucketTagging));
  if (it == bucket.config.end()) co_return Status(Code::kNoSuchTagSet);
  STRATA_CO_ASSIGN_OR_RETURN(meta::StringPairs tags, DecodeTags(it->second));
  co_return co_await ctx.SendXml(http::status::ok, TaggingXml(tags));
}

Task<Status> PutBucketTagging(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(meta::StringPairs tags, co_await ReadTagging(ctx, kMaxBucketTags));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_TRY(co_await ctx.objects().SetBucketConfig(ctx.bucket, std::string(kBucketTagging),
                                                       EncodeTags(tags)));
  co_return co_await ctx.SendEmpty(http::status::no_content);
}

Task<Status> DeleteBucketTagging(RequestContext& ctx) {
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_TRY(co_await ctx.objects().SetBucketConfig(ctx.bucket, std::string(kBucketTagging),
                                                       std::nullopt));
  co_return co_await ctx.SendEmpty(http::status::no_content);
}

}  // namespace strata::gw
