#include "gateway/sigv4.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <unordered_map>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/timefmt.h"
#include "gateway/sigv4_internal.h"
#include "gateway/uri.h"

namespace strata::gw {
namespace sigv4 {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<std::string> HeaderValue(const RequestView& req, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& [n, v] : req.headers) {
    if (!EqualsIgnoreCase(n, name)) continue;
    if (out) {
      out->push_back(',');
      out->append(v);
    } else {
      out.emplace(v);
    }
  }
  return out;
}

size_t HeaderCount(const RequestView& req, std::string_view name) {
  return static_cast<size_t>(
      std::count_if(req.headers.begin(), req.headers.end(),
                    [&](const auto& h) { return EqualsIgnoreCase(h.first, name); }));
}

void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  size_t q = target.find('?');
  *path = target.substr(0, q);
  *query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::string CanonicalUri(std::string_view raw_path) {
  std::string out;
  out.reserve(raw_path.size() + 8);
  for (size_t i = 0; i < raw_path.size(); ++i) {
    auto c = static_cast<unsigned char>(raw_path[i]);
    if (c == '%' && i + 2 < raw_path.size() && IsHexDigit(raw_path[i + 1]) &&
        IsHexDigit(raw_path[i + 2])) {
      out.append(raw_path.substr(i, 3));
      i += 2;
    } else if (IsUnreserved(c) || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out.append(UriEncode(raw_path.substr(i, 1), /*encode_slash=*/true));
    }
  }
  if (out.empty()) out = "/";
  return out;
}

Result<std::string> CanonicalQuery(std::string_view raw_query, bool drop_signature) {
  STRATA_ASSIGN_OR_RETURN(std::vector<QueryParam> params, ParseQuery(raw_query));
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const QueryParam& p : params) {
    if (drop_signature && p.name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(p.name, true), UriEncode(p.value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

Result<std::string> CanonicalHeaders(const RequestView& req,
                                     const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out.append(name).push_back(':');
    bool found = false;
    for (const auto& [n, v] : req.headers) {
      if (!EqualsIgnoreCase(n, name)) continue;
      if (found) out.push_back(',');
      out.append(CanonicalHeaderValue(v));
      found = true;
    }
    if (!found) {
      return Status(Code::kSignatureDoesNotMatch,
                    "A signed header is missing from the request: " + name);
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const CanonicalRequestParts& p) {
  std::string out;
  out.reserve(p.method.size() + p.canonical_uri.size() + p.canonical_query.size() +
              p.canonical_headers.size() + p.signed_headers.size() + p.payload_hash.size() + 8);
  out.append(p.method).push_back('\n');
  out.append(p.canonical_uri).push_back('\n');
  out.append(p.canonical_query).push_back('\n');
  out.append(p.canonical_headers).push_back('\n');
  out.append(p.signed_headers).push_back('\n');
  out.append(p.payload_hash);
  return out;
}

std::string Scope(std::string_view date, std::string_view region, std::string_view service) {
  std::string out(date);
  out.append("/").append(region).append("/").append(service).append("/aws4_request");
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  // The key changes once a day per credential: derive it once per thread
  // (four HMACs saved per request), as AWS's own SDKs do. Few entries live
  // at once; the cache is dropped whole when it grows past a bound.
  thread_local std::unordered_map<std::string, std::string> cache;
  std::string id;
  id.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  id.append(secret).append(1, '\0').append(date).append(1, '\0').append(region).append(1, '\0')
      .append(service);
  if (auto it = cache.find(id); it != cache.end()) return it->second;
  std::string key = HmacSha256("AWS4" + std::string(secret), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  if (cache.size() >= 256) cache.clear();
  cache.emplace(std::move(id), key);
  return key;
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string ChunkStringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view previous_signature,
                              std::string_view chunk_sha256_hex) {
  std::string out = "AWS4-HMAC-SHA256-PAYLOAD\n";
  out.append(amz_date).append("\n").append(scope).append("\n");
  out.append(previous_signature).append("\n").append(kEmptySha256).append("\n");
  out.append(chunk_sha256_hex);
  return out;
}

std::string TrailerStringToSign(std::string_view amz_date, std::string_view scope,
                                std::string_view previous_signature,
                                std::string_view trailer_sha256_hex) {
  std::string out = "AWS4-HMAC-SHA256-TRAILER\n";
  out.append(amz_date).append("\n").append(scope).append("\n");
  out.append(previous_signature).append("\n").append(trailer_sha256_hex);
  return out;
}

}  // namespace sigv4

namespace {

using namespace sigv4;  // NOLINT: this file implements sigv4

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method.";

// What a signature covers besides the request itself.
struct SignedRequest {
  std::string_view raw_path;
  std::string_view raw_query;
  bool presigned = false;  // X-Amz-Signature is left out of the canonical query
  std::vector<std::string> signed_headers;
  std::string_view payload_hash;
  std::string amz_date;
  std::string scope;
};

struct Credential {
  std::string_view access_key, date, region, service, terminator;
};

// "AK/20130524/us-east-1/s3/aws4_request": the scope is the last four
// components, the access key everything before them.
std::optional<Credential> ParseCredential(std::string_view s) {
  std::string_view parts[4];
  for (int i = 3; i >= 0; --i) {
    size_t slash = s.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    parts[i] = s.substr(slash + 1);
    s = s.substr(0, slash);
  }
  if (s.empty()) return std::nullopt;
  return Credential{s, parts[0], parts[1], parts[2], parts[3]};
}

Status CheckScope(const Credential& c, std::string_view amz_date, Code code,
                  std::string_view service) {
  bool digits = c.date.size() == 8 && std::all_of(c.date.begin(), c.date.end(),
                                                  [](char ch) { return ch >= '0' && ch <= '9'; });
  if (!digits) return Status(code, "Invalid credential date.");
  if (amz_date.substr(0, 8) != c.date) {
    return Status(code, "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (c.region.empty()) return Status(code, "The credential is missing its region.");
  if (c.service != service) {
    return Status(code, "Incorrect service in the credential: expected '" + std::string(service) +
                            "'.");
  }
  if (c.terminator != "aws4_request") {
    return Status(code, "The credential must end with 'aws4_request'.");
  }
  return Status::Ok();
}

// "host;range;x-amz-date": lower-case names, no duplicates, host included.
Result<std::vector<std::string>> ParseSignedHeaders(std::string_view s, Code code) {
  std::vector<std::string> names;
  while (true) {
    size_t semi = s.find(';');
    std::string_view name = s.substr(0, semi);
    if (name.empty()) return Status(code, "SignedHeaders contains an empty name.");
    for (char c : name) {
      if (c <= ' ' || c >= 0x7f || (c >= 'A' && c <= 'Z') || c == ':' || c == ',') {
        return Status(code, "SignedHeaders must be lower-case header names separated by ';'.");
      }
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return Status(code, "SignedHeaders repeats a header.");
    }
    names.emplace_back(name);
    if (semi == std::string_view::npos) break;
    s = s.substr(semi + 1);
  }
  if (std::find(names.begin(), names.end(), "host") == names.end()) {
    return Status(code, "'Host' must be a signed header.");
  }
  return names;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// S3 refuses x-amz-* headers the signature does not cover: they change what
// a request does (ACLs, metadata, copy sources) and could be added in transit.
// x-amz-user-agent is informational and some SDKs leave it unsigned.
Status CheckUnsignedAmzHeaders(const RequestView& req, const std::vector<std::string>& names) {
  for (const auto& [n, v] : req.headers) {
    if (n.size() < 6 || !EqualsIgnoreCase(n.substr(0, 6), "x-amz-")) continue;
    std::string lower = ToLower(n);
    if (lower == "x-amz-user-agent") continue;
    if (std::find(names.begin(), names.end(), lower) == names.end()) {
      return Status(Code::kAccessDenied,
                    "There were headers present in the request which were not signed: " + lower);
    }
  }
  return Status::Ok();
}

Result<PayloadMode> ParsePayloadHash(std::string_view v) {
  if (v == kUnsignedPayload) return PayloadMode::kUnsigned;
  if (v == kStreamingSigned) return PayloadMode::kStreamingSigned;
  if (v == kStreamingSignedTrailer) return PayloadMode::kStreamingSignedTrailer;
  if (v == kStreamingUnsignedTrailer) return PayloadMode::kStreamingUnsignedTrailer;
  if (IsHex64(v)) return PayloadMode::kSignedHash;
  return Status(
      Code::kInvalidArgument,
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or "
      "a valid sha256 value.");
}

struct RequestDate {
  SysTime time;
  std::string amz_date;  // as the string-to-sign carries it
};

// x-amz-date wins over Date; Date may be in the AMZ or an HTTP format.
Result<RequestDate> HeaderDate(const RequestView& req) {
  constexpr std::string_view kNoDate =
      "AWS authentication requires a valid Date or x-amz-date header";
  if (auto v = HeaderValue(req, "x-amz-date")) {
    auto t = ParseAmzDate(*v);
    if (!t) return Status(Code::kAccessDenied, std::string(kNoDate));
    return RequestDate{*t, *v};
  }
  if (auto v = HeaderValue(req, "date")) {
    auto t = ParseAmzDate(*v);
    if (!t) t = ParseHttpDate(*v);
    if (!t) return Status(Code::kAccessDenied, std::string(kNoDate));
    return RequestDate{*t, FormatAmzDate(*t)};
  }
  return Status(Code::kAccessDenied, std::string(kNoDate));
}

// The signature of `s` with the canonical URI `uri`.
Result<std::string> Sign(const RequestView& req, const SignedRequest& s,
                         std::string_view signing_key) {
  STRATA_ASSIGN_OR_RETURN(std::string query, CanonicalQuery(s.raw_query, s.presigned));
  STRATA_ASSIGN_OR_RETURN(std::string headers, CanonicalHeaders(req, s.signed_headers));
  std::string joined;
  for (const std::string& name : s.signed_headers) {
    if (!joined.empty()) joined.push_back(';');
    joined.append(name);
  }
  std::string uri = CanonicalUri(s.raw_path);
  std::string creq = CanonicalRequest({req.method, uri, query, headers, joined, s.payload_hash});
  return SignatureHex(signing_key, StringToSign(s.amz_date, s.scope, creq));
}

// Returns the verified signature (the seed of a streaming upload).
Result<std::string> Verify(const RequestView& req, SignedRequest s, std::string_view signing_key,
                           std::string_view given) {
  STRATA_ASSIGN_OR_RETURN(std::string sig, Sign(req, s, signing_key));
  if (ConstantTimeEquals(sig, given)) return sig;
  // The path as sent is what SDKs sign. A client that escaped differently
  // ('~' as %7E, lower-case hex digits) signed the path it meant, so try the
  // normalised form too: both name the same key once the router decodes it.
  auto decoded = UriDecode(s.raw_path);
  if (decoded.ok()) {
    std::string normalized = UriEncode(*decoded, /*encode_slash=*/false);
    if (normalized != CanonicalUri(s.raw_path)) {
      s.raw_path = normalized;
      STRATA_ASSIGN_OR_RETURN(std::string alt, Sign(req, s, signing_key));
      if (ConstantTimeEquals(alt, given)) return alt;
    }
  }
  return Status(Code::kSignatureDoesNotMatch, std::string(kMismatch));
}

// Parses "Credential=..., SignedHeaders=..., Signature=..." (any order).
struct AuthorizationFields {
  std::string_view credential, signed_headers, signature;
};

Result<AuthorizationFields> ParseAuthorization(std::string_view rest) {
  constexpr Code kMalformed = Code::kAuthorizationHeaderMalformed;
  std::optional<std::string_view> credential, signed_headers, signature;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Status(kMalformed, "The authorization header is malformed; expected key=value.");
    }
    std::string_view key = part.substr(0, eq);
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr) {
      return Status(kMalformed, "The authorization header is malformed; unknown component.");
    }
    if (slot->has_value()) {
      return Status(kMalformed, "The authorization header is malformed; repeated component.");
    }
    *slot = part.substr(eq + 1);
  }
  if (!credential || !signed_headers || !signature) {
    return Status(kMalformed,
                  "The authorization header is malformed; it needs Credential, SignedHeaders and "
                  "Signature.");
  }
  return AuthorizationFields{*credential, *signed_headers, *signature};
}

bool IsStreamingSigned(PayloadMode m) {
  return m == PayloadMode::kStreamingSigned || m == PayloadMode::kStreamingSignedTrailer;
}

std::chrono::microseconds Abs(std::chrono::microseconds d) { return d < d.zero() ? -d : d; }

}  // namespace

Result<AuthResult> VerifySigV4Header(const RequestView& req, std::string_view authorization,
                                     const SecretLookup& secrets, SysTime now,
                                     std::string_view service) {
  constexpr Code kMalformed = Code::kAuthorizationHeaderMalformed;
  if (!authorization.starts_with(kAlgorithm) || authorization.size() == kAlgorithm.size() ||
      authorization[kAlgorithm.size()] != ' ') {
    return Status(Code::kInvalidArgument, "Unsupported Authorization Type");
  }
  STRATA_ASSIGN_OR_RETURN(AuthorizationFields fields,
                          ParseAuthorization(authorization.substr(kAlgorithm.size() + 1)));
  std::optional<Credential> cred = ParseCredential(fields.credential);
  if (!cred) {
    return Status(kMalformed, "The authorization header is malformed; bad Credential.");
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          ParseSignedHeaders(fields.signed_headers, kMalformed));
  if (!IsLowerHex64(fields.signature)) {
    return Status(kMalformed, "The Signature must be 64 lower-case hex digits.");
  }
  STRATA_ASSIGN_OR_RETURN(RequestDate date, HeaderDate(req));
  STRATA_TRY(CheckScope(*cred, date.amz_date, kMalformed, service));

  std::optional<std::string> payload_hash = HeaderValue(req, "x-amz-content-sha256");
  if (!payload_hash) {
    return Status(Code::kInvalidRequest,
                  "Missing required header for this request: x-amz-content-sha256");
  }
  STRATA_ASSIGN_OR_RETURN(PayloadMode mode, ParsePayloadHash(*payload_hash));
  STRATA_TRY(CheckUnsignedAmzHeaders(req, names));

  std::optional<std::string> secret = secrets(cred->access_key);
  if (!secret) {
    return Status(Code::kInvalidAccessKeyId,
                  "The AWS Access Key Id you provided does not exist in our records.");
  }
  if (Abs(now - date.time) > kMaxClockSkew) {
    return Status(Code::kRequestTimeTooSkewed,
                  "The difference between the request time and the server's time is too large.");
  }

  std::string_view path, query;
  SplitTarget(req.target, &path, &query);
  SignedRequest s{path,
                  query,
                  /*presigned=*/false,
                  std::move(names),
                  *payload_hash,
                  date.amz_date,
                  Scope(cred->date, cred->region, cred->service)};
  std::string key = SigningKey(*secret, cred->date, cred->region, cred->service);
  STRATA_ASSIGN_OR_RETURN(std::string seed, Verify(req, s, key, fields.signature));

  AuthResult result;
  result.access_key = std::string(cred->access_key);
  result.payload = mode;
  if (mode == PayloadMode::kSignedHash) result.payload_sha256_hex = ToLower(*payload_hash);
  if (IsStreamingSigned(mode)) {
    result.signing_key = std::move(key);
    result.seed_signature = std::move(seed);
    result.amz_date = std::move(s.amz_date);
    result.scope = std::move(s.scope);
  }
  return result;
}

Result<AuthResult> VerifySigV4Presigned(const RequestView& req, const SecretLookup& secrets,
                                        SysTime now) {
  constexpr Code kBad = Code::kAuthorizationQueryParametersError;
  std::string_view path, query;
  SplitTarget(req.target, &path, &query);
  auto params = ParseQuery(query);
  if (!params.ok()) return Status(kBad, "The query string is not validly percent-encoded.");

  struct Field {
    std::string_view name;
    std::optional<std::string> value;
  };
  Field fields[] = {{"X-Amz-Algorithm", {}},     {"X-Amz-Credential", {}},
                    {"X-Amz-Date", {}},          {"X-Amz-Expires", {}},
                    {"X-Amz-SignedHeaders", {}}, {"X-Amz-Signature", {}},
                    {"X-Amz-Content-Sha256", {}}};
  for (const QueryParam& p : *params) {
    for (Field& f : fields) {
      if (p.name != f.name) continue;
      if (f.value) return Status(kBad, "Query parameter " + p.name + " is repeated.");
      f.value = p.value;
    }
  }
  auto& [algorithm, credential, amz_date, expires, signed_headers, signature, content_sha] = fields;
  if (algorithm.value && *algorithm.value != kAlgorithm) {
    return Status(kBad, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  if (!algorithm.value || !credential.value || !amz_date.value || !expires.value ||
      !signed_headers.value || !signature.value) {
    return Status(kBad,
                  "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                  "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                  "X-Amz-Expires parameters.");
  }
  std::optional<SysTime> signed_at = ParseAmzDate(*amz_date.value);
  if (!signed_at) {
    return Status(kBad, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  int64_t expires_seconds = -1;
  const std::string& ev = *expires.value;
  auto [end, ec] = std::from_chars(ev.data(), ev.data() + ev.size(), expires_seconds);
  if (ev.empty() || ec != std::errc() || end != ev.data() + ev.size() || ev[0] == '-' ||
      ev[0] == '+') {
    return Status(kBad, "X-Amz-Expires should be a number");
  }
  if (expires_seconds > kMaxPresignedExpirySeconds) {
    return Status(kBad,
                  "X-Amz-Expires must be less than a week (in seconds) that is 604800 seconds");
  }
  std::optional<Credential> cred = ParseCredential(*credential.value);
  if (!cred) return Status(kBad, "Error parsing the X-Amz-Credential parameter.");
  STRATA_TRY(CheckScope(*cred, *amz_date.value, kBad, "s3"));
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          ParseSignedHeaders(*signed_headers.value, kBad));
  if (!IsLowerHex64(*signature.value)) {
    return Status(kBad, "X-Amz-Signature must be 64 lower-case hex digits.");
  }
  // The payload is unsigned unless the client put a hash in the query (or
  // in a header, as some presigners do).
  std::optional<std::string> payload_hash = content_sha.value;
  if (!payload_hash) payload_hash = HeaderValue(req, "x-amz-content-sha256");
  if (!payload_hash) payload_hash = std::string(kUnsignedPayload);
  if (*payload_hash != kUnsignedPayload && !IsHex64(*payload_hash)) {
    return Status(Code::kInvalidArgument,
                  "X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.");
  }
  STRATA_TRY(CheckUnsignedAmzHeaders(req, names));

  std::optional<std::string> secret = secrets(cred->access_key);
  if (!secret) {
    return Status(Code::kInvalidAccessKeyId,
                  "The AWS Access Key Id you provided does not exist in our records.");
  }
  if (*signed_at - now > kMaxClockSkew) {
    return Status(Code::kAccessDenied, "Request is not valid yet");
  }
  if (now > *signed_at + std::chrono::seconds(expires_seconds)) {
    return Status(Code::kAccessDenied, "Request has expired");
  }

  SignedRequest s{path,
                  query,
                  /*presigned=*/true,
                  std::move(names),
                  *payload_hash,
                  *amz_date.value,
                  Scope(cred->date, cred->region, cred->service)};
  std::string key = SigningKey(*secret, cred->date, cred->region, cred->service);
  STRATA_TRY(Verify(req, s, key, *signature.value));

  AuthResult result;
  result.access_key = std::string(cred->access_key);
  if (IsHex64(*payload_hash)) {
    result.payload = PayloadMode::kSignedHash;
    result.payload_sha256_hex = ToLower(*payload_hash);
  }
  return result;
}

Result<std::string> SignV4Header(const RequestView& req, const SigV4Credentials& creds,
                                 std::string_view payload_hash) {
  std::optional<std::string> amz_date = HeaderValue(req, "x-amz-date");
  if (!amz_date || !ParseAmzDate(*amz_date)) {
    return Status(Code::kInvalidArgument, "signing needs an x-amz-date header");
  }
  std::vector<std::string> names;
  for (const auto& [n, v] : req.headers) {
    std::string lower = ToLower(n);
    if (lower == "authorization") continue;
    if (std::find(names.begin(), names.end(), lower) == names.end()) names.push_back(lower);
  }
  std::sort(names.begin(), names.end());
  std::string_view path, query;
  SplitTarget(req.target, &path, &query);
  std::string date = amz_date->substr(0, 8);
  SignedRequest s{path,
                  query,
                  /*presigned=*/false,
                  names,
                  payload_hash,
                  *amz_date,
                  Scope(date, creds.region, creds.service)};
  std::string key = SigningKey(creds.secret_key, date, creds.region, creds.service);
  STRATA_ASSIGN_OR_RETURN(std::string sig, Sign(req, s, key));
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined.push_back(';');
    joined.append(name);
  }
  return std::string(kAlgorithm) + " Credential=" + creds.access_key + "/" + s.scope +
         ", SignedHeaders=" + joined + ", Signature=" + sig;
}

Result<std::string> PresignV4(std::string_view method, std::string_view target,
                              std::string_view host, const SigV4Credentials& creds, SysTime now,
                              int64_t expires_seconds) {
  if (expires_seconds < 1 || expires_seconds > kMaxPresignedExpirySeconds) {
    return Status(Code::kInvalidArgument, "expiry must be 1 to 604800 seconds");
  }
  std::string amz_date = FormatAmzDate(now);
  std::string date = amz_date.substr(0, 8);
  std::string scope = Scope(date, creds.region, creds.service);
  std::string_view path, query;
  SplitTarget(target, &path, &query);
  std::string full_query(query);
  if (!full_query.empty()) full_query.push_back('&');
  full_query.append("X-Amz-Algorithm=").append(kAlgorithm);
  full_query.append("&X-Amz-Credential=").append(UriEncode(creds.access_key + "/" + scope, true));
  full_query.append("&X-Amz-Date=").append(amz_date);
  full_query.append("&X-Amz-Expires=").append(std::to_string(expires_seconds));
  full_query.append("&X-Amz-SignedHeaders=host");
  RequestView view{method, target, {{"host", host}}, {}};
  SignedRequest s{path,     full_query, /*presigned=*/true, {"host"}, kUnsignedPayload,
                  amz_date, scope};
  std::string key = SigningKey(creds.secret_key, date, creds.region, creds.service);
  STRATA_ASSIGN_OR_RETURN(std::string sig, Sign(view, s, key));
  return std::string(path) + "?" + full_query + "&X-Amz-Signature=" + sig;
}

}  // namespace strata::gw
