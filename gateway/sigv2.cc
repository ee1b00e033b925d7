#include "gateway/sigv2.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <vector>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/timefmt.h"
#include "gateway/sigv4_internal.h"
#include "gateway/uri.h"

namespace strata::gw {
namespace {

using sigv4::EqualsIgnoreCase;
using sigv4::HeaderValue;
using sigv4::ToLower;

// The query parameters that are part of the signed resource, as the SDKs that
// still sign V2 (botocore's HmacV1Auth among them) list them. Sorted, so a
// lookup is a binary search.
constexpr std::string_view kSubResources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

bool IsSubResource(std::string_view name) {
  return std::binary_search(std::begin(kSubResources), std::end(kSubResources), name);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// HTTP dates as V2 clients send them, including the "+0000" zone of the AWS
// examples that RFC 1123 parsers reject.
std::optional<SysTime> ParseV2Date(std::string_view s) {
  if (auto t = ParseHttpDate(s)) return t;
  if (s.ends_with(" +0000")) {
    std::string gmt(s.substr(0, s.size() - 6));
    gmt.append(" GMT");
    return ParseHttpDate(gmt);
  }
  return std::nullopt;
}

std::string CanonicalAmzHeaders(const RequestView& req) {
  std::map<std::string, std::string> amz;  // sorted by lower-case name
  for (const auto& [n, v] : req.headers) {
    if (n.size() < 6 || !EqualsIgnoreCase(n.substr(0, 6), "x-amz-")) continue;
    auto [it, inserted] = amz.try_emplace(ToLower(n), Trim(v));
    if (!inserted) it->second.append(",").append(Trim(v));
  }
  std::string out;
  for (const auto& [name, value] : amz) out.append(name).append(":").append(value).append("\n");
  return out;
}

Result<std::string> CanonicalResource(const RequestView& req) {
  std::string_view path, query;
  sigv4::SplitTarget(req.target, &path, &query);
  std::string out;
  if (!req.virtual_host_bucket.empty()) out.append("/").append(req.virtual_host_bucket);
  out.append(path.empty() ? "/" : path);
  // A bucket addressed path-style ("/bucket") is signed as "/bucket/", as S3
  // and botocore do.
  if (req.virtual_host_bucket.empty() && path.size() > 1 &&
      path.find('/', 1) == std::string_view::npos) {
    out.push_back('/');
  }
  // Names are matched as sent; values are signed decoded.
  std::vector<std::pair<std::string_view, std::optional<std::string>>> subs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view segment = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = segment.find('=');
    std::string_view name = segment.substr(0, eq);
    if (!IsSubResource(name)) continue;
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      STRATA_ASSIGN_OR_RETURN(value, UriDecode(segment.substr(eq + 1)));
    }
    subs.emplace_back(name, std::move(value));
  }
  std::stable_sort(subs.begin(), subs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < subs.size(); ++i) {
    out.push_back(i == 0 ? '?' : '&');
    out.append(subs[i].first);
    if (subs[i].second) out.append("=").append(*subs[i].second);
  }
  return out;
}

Result<std::string> LookUp(const SecretLookup& secrets, std::string_view access_key) {
  std::optional<std::string> secret = secrets(access_key);
  if (!secret) {
    return Status(Code::kInvalidAccessKeyId,
                  "The AWS Access Key Id you provided does not exist in our records.");
  }
  return std::move(*secret);
}

struct Claim {
  std::string_view access_key;
  std::string_view signature;  // base64, as sent
  std::string_view date_line;
};

Result<AuthResult> Check(const RequestView& req, const Claim& claim, std::string_view secret) {
  STRATA_ASSIGN_OR_RETURN(std::string string_to_sign, SigV2StringToSign(req, claim.date_line));
  if (!ConstantTimeEquals(SigV2Signature(secret, string_to_sign), claim.signature)) {
    return Status(Code::kSignatureDoesNotMatch,
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your key and signing method.");
  }
  AuthResult result;
  result.access_key = std::string(claim.access_key);
  result.payload = PayloadMode::kNone;
  return result;
}

std::chrono::microseconds Abs(std::chrono::microseconds d) { return d < d.zero() ? -d : d; }

}  // namespace

Result<std::string> SigV2StringToSign(const RequestView& req, std::string_view date_line) {
  std::string out(req.method);
  out.push_back('\n');
  out.append(Trim(HeaderValue(req, "content-md5").value_or(""))).push_back('\n');
  out.append(Trim(HeaderValue(req, "content-type").value_or(""))).push_back('\n');
  out.append(date_line).push_back('\n');
  out.append(CanonicalAmzHeaders(req));
  STRATA_ASSIGN_OR_RETURN(std::string resource, CanonicalResource(req));
  out.append(resource);
  return out;
}

std::string SigV2Signature(std::string_view secret, std::string_view string_to_sign) {
  return Base64Encode(HmacSha1(secret, string_to_sign));
}

Result<AuthResult> VerifySigV2Header(const RequestView& req, std::string_view authorization,
                                     const SecretLookup& secrets, SysTime now) {
  if (!authorization.starts_with("AWS ")) {
    return Status(Code::kInvalidArgument, "Unsupported Authorization Type");
  }
  std::string_view credentials = authorization.substr(4);
  size_t colon = credentials.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
    return Status(Code::kInvalidArgument,
                  "AWS authorization header is invalid. Expected AwsAccessKeyId:signature");
  }
  std::string_view access_key = credentials.substr(0, colon);
  std::string_view signature = credentials.substr(colon + 1);

  constexpr std::string_view kNoDate =
      "AWS authentication requires a valid Date or x-amz-date header";
  std::optional<std::string> amz_date = HeaderValue(req, "x-amz-date");
  std::optional<std::string> date = amz_date ? amz_date : HeaderValue(req, "date");
  if (!date) return Status(Code::kAccessDenied, std::string(kNoDate));
  std::optional<SysTime> t = ParseV2Date(*date);
  if (!t) t = ParseAmzDate(*date);
  if (!t) return Status(Code::kAccessDenied, std::string(kNoDate));

  STRATA_ASSIGN_OR_RETURN(std::string secret, LookUp(secrets, access_key));
  if (Abs(now - *t) > kMaxClockSkew) {
    return Status(Code::kRequestTimeTooSkewed,
                  "The difference between the request time and the server's time is too large.");
  }
  // With x-amz-date the Date line is empty: x-amz-date is signed as an amz header.
  return Check(req, {access_key, signature, amz_date ? std::string_view() : *date}, secret);
}

Result<AuthResult> VerifySigV2Query(const RequestView& req, const SecretLookup& secrets,
                                    SysTime now) {
  std::string_view path, query;
  sigv4::SplitTarget(req.target, &path, &query);
  auto params = ParseQuery(query);
  if (!params.ok()) return params.status();
  std::optional<std::string> access_key, expires, signature;
  for (const QueryParam& p : *params) {
    std::optional<std::string>* slot = p.name == "AWSAccessKeyId" ? &access_key
                                       : p.name == "Expires"      ? &expires
                                       : p.name == "Signature"    ? &signature
                                                                  : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value()) {
      return Status(Code::kInvalidArgument, "Query parameter " + p.name + " is repeated.");
    }
    *slot = p.value;
  }
  if (!access_key || !expires || !signature || access_key->empty()) {
    return Status(Code::kAccessDenied,
                  "Query-string authentication requires the Signature, Expires and "
                  "AWSAccessKeyId parameters");
  }
  int64_t expires_at = 0;
  auto [end, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), expires_at);
  if (expires->empty() || ec != std::errc() || end != expires->data() + expires->size() ||
      expires_at < 0) {
    return Status(Code::kAccessDenied, "Invalid date (should be seconds since epoch)");
  }
  // base64 has no spaces: a space is a '+' the client forgot to escape.
  std::replace(signature->begin(), signature->end(), ' ', '+');
  STRATA_ASSIGN_OR_RETURN(std::string secret, LookUp(secrets, *access_key));
  if (std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() >
      expires_at) {
    return Status(Code::kAccessDenied, "Request has expired");
  }
  return Check(req, {*access_key, *signature, *expires}, secret);
}

}  // namespace strata::gw
