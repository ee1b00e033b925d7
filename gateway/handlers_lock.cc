// Object lock (WORM) as S3 shows it: the bucket configuration with its
// default retention, per-version retention and legal hold, and the lock
// headers of PUT, COPY and CreateMultipartUpload. The handlers only validate
// and translate; the drives enforce (docs/ARCHITECTURE.md, "Object lock").
#include <charconv>

#include "common/timefmt.h"
#include "gateway/handlers.h"
#include "gateway/s3_xml.h"
#include "gateway/xml.h"

namespace strata::gw {

namespace {

// The bucket config entry holding the default retention: "MODE Nd" or "MODE Ny".
constexpr std::string_view kLockEntry = "object-lock-default";
constexpr auto kDay = std::chrono::hours(24);

struct DefaultRetention {
  std::string mode;
  uint32_t days = 0, years = 0;
};

std::optional<DefaultRetention> ParseDefault(std::string_view v) {
  size_t space = v.find(' ');
  if (space == std::string_view::npos || v.size() < space + 3) return std::nullopt;
  DefaultRetention out;
  out.mode = std::string(v.substr(0, space));
  std::string_view num = v.substr(space + 1, v.size() - space - 2);
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
  if (ec != std::errc() || end != num.data() + num.size()) return std::nullopt;
  (v.back() == 'y' ? out.years : out.days) = n;
  return out;
}

std::optional<DefaultRetention> BucketDefault(const meta::BucketRecord& bucket) {
  auto it = bucket.config.find(std::string(kLockEntry));
  if (it == bucket.config.end()) return std::nullopt;
  return ParseDefault(it->second);
}

bool ValidMode(std::string_view m) { return m == meta::kGovernance || m == meta::kCompliance; }

Status MissingLockConfig() {
  return Status(Code::kInvalidRequest, "Bucket is missing Object Lock Configuration");
}

Task<Result<meta::BucketRecord>> LockedBucket(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  if (!bucket.object_lock) co_return MissingLockConfig();
  co_return bucket;
}

}  // namespace

bool BypassGovernance(const RequestContext& ctx) {
  // Only callers who may write get here with a delete or a retention change:
  // the root user and readwrite users, whose policy is every S3 action
  // (s3:BypassGovernanceRetention included, as MinIO's readwrite policy).
  return ctx.principal.may_write() && boost::beast::iequals(ctx.Header("x-amz-bypass-governance-retention"), "true");
}

Result<LockState> LockFromHeaders(const RequestContext& ctx, const meta::BucketRecord& bucket,
                                  SysTime now) {
  LockState lock;
  std::string_view mode = ctx.Header("x-amz-object-lock-mode");
  std::string_view until = ctx.Header("x-amz-object-lock-retain-until-date");
  std::string_view hold = ctx.Header("x-amz-object-lock-legal-hold");
  const bool any = !mode.empty() || !until.empty() || !hold.empty();
  if (any && !bucket.object_lock) return MissingLockConfig();
  if (mode.empty() != until.empty()) {
    return Status(Code::kInvalidArgument, "x-amz-object-lock-retain-until-date and "
                                          "x-amz-object-lock-mode must both be supplied");
  }
  if (!mode.empty()) {
    if (!ValidMode(mode)) return Status(Code::kInvalidArgument, "Unknown wormMode directive.");
    auto t = ParseIso8601(until);
    if (!t) {
      return Status(Code::kInvalidArgument,
                    "The retain until date must be provided in ISO 8601 format");
    }
    if (*t <= now) {
      return Status(Code::kInvalidArgument, "The retain until date must be in the future!");
    }
    lock.mode = std::string(mode);
    lock.retain_until = *t;
  } else if (auto def = BucketDefault(bucket)) {
    lock.mode = def->mode;
    lock.retain_until = now + kDay * (def->days ? def->days : 365 * def->years);
  }
  if (!hold.empty()) {
    if (hold != "ON" && hold != "OFF") {
      return Status(Code::kInvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'");
    }
    lock.legal_hold = hold == "ON";
  }
  return lock;
}

void SetLockHeaders(const meta::VersionRecord& record, http::fields& headers) {
  if (!record.retention_mode.empty()) {
    headers.set("x-amz-object-lock-mode", record.retention_mode);
    headers.set("x-amz-object-lock-retain-until-date", FormatIso8601(record.retain_until));
  }
  if (record.legal_hold) headers.set("x-amz-object-lock-legal-hold", "ON");
}

// ---- Bucket configuration --------------------------------------------------------

Task<Status> PutObjectLockConfiguration(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(ObjectLockConfig config, ParseObjectLockConfiguration(body));
  if (!config.enabled) co_return Status(Code::kMalformedXML);
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  if (!bucket.object_lock && bucket.versioning != kVersioningEnabled) {
    co_return Status(Code::kInvalidBucketState,
                     "Versioning must be 'Enabled' on the bucket to apply a Object Lock "
                     "configuration");
  }
  std::optional<std::string> rule;
  if (!config.default_mode.empty()) {
    rule = config.default_mode + " " +
           std::to_string(config.default_days ? config.default_days : config.default_years) +
           (config.default_days ? "d" : "y");
  }
  STRATA_CO_TRY(
      co_await ctx.objects().SetBucketObjectLock(ctx.bucket, std::string(kLockEntry), rule));
  co_return co_await ctx.SendEmpty(http::status::ok);
}

Task<Status> GetObjectLockConfiguration(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  if (!bucket.object_lock) co_return Status(Code::kObjectLockConfigurationNotFound);
  XmlWriter x;
  x.Open("ObjectLockConfiguration", kS3Xmlns).Element("ObjectLockEnabled", "Enabled");
  if (auto def = BucketDefault(bucket)) {
    x.Open("Rule").Open("DefaultRetention").Element("Mode", def->mode);
    if (def->days) {
      x.Element("Days", uint64_t(def->days));
    } else {
      x.Element("Years", uint64_t(def->years));
    }
    x.Close().Close();
  }
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

// ---- Per version -----------------------------------------------------------------

Task<Status> PutObjectRetention(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(RetentionConfig config, ParseRetention(body));
  STRATA_CO_TRY(co_await LockedBucket(ctx));
  SysTime until{};
  if (config.mode.empty() != config.retain_until_date.empty()) co_return Status(Code::kMalformedXML);
  if (!config.mode.empty()) {
    auto t = ParseIso8601(config.retain_until_date);
    if (!t) co_return Status(Code::kMalformedXML);
    if (*t <= ctx.options.clock->Now()) {
      co_return Status(Code::kInvalidArgument, "The retain until date must be in the future!");
    }
    until = *t;
  }
  STRATA_CO_ASSIGN_OR_RETURN(auto record, co_await ctx.objects().SetObjectRetention(
                                              ctx.bucket, ctx.key, ref, config.mode, until,
                                              BypassGovernance(ctx)));
  auto res = ctx.Response(http::status::ok);
  co_await SetVersionHeader(ctx, record, res);
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> GetObjectRetention(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_TRY(co_await LockedBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto record, co_await ctx.objects().HeadObject(ctx.bucket, ctx.key, ref));
  if (record.delete_marker) {
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  if (record.retention_mode.empty()) {
    co_return Status(Code::kNoSuchObjectLockConfiguration,
                     "The specified object does not have a ObjectLock configuration");
  }
  XmlWriter x;
  x.Open("Retention", kS3Xmlns)
      .Element("Mode", record.retention_mode)
      .Element("RetainUntilDate", FormatIso8601(record.retain_until));
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> PutObjectLegalHold(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(bool on, ParseLegalHold(body));
  STRATA_CO_TRY(co_await LockedBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto record,
                             co_await ctx.objects().SetObjectLegalHold(ctx.bucket, ctx.key, ref, on));
  auto res = ctx.Response(http::status::ok);
  co_await SetVersionHeader(ctx, record, res);
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> GetObjectLegalHold(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_TRY(co_await LockedBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto record, co_await ctx.objects().HeadObject(ctx.bucket, ctx.key, ref));
  if (record.delete_marker) {
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  XmlWriter x;
  x.Open("LegalHold", kS3Xmlns).Element("Status", record.legal_hold ? "ON" : "OFF");
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

}  // namespace strata::gw
