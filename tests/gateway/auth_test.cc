// Authenticate: dispatch between mechanisms, anonymous requests, and fuzzed
// credentials (garbage and single-character mutations of valid ones must be
// refused, never crash).
#include "gateway/auth.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/timefmt.h"
#include "gateway/sigv2.h"
#include "gateway/sigv4.h"
#include "gateway/sigv4_internal.h"

namespace strata::gw {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SecretLookup kSecrets = [](std::string_view ak) -> std::optional<std::string> {
  if (ak == kAccessKey) return std::string(kSecret);
  return std::nullopt;
};
const SysTime kNow = *ParseAmzDate("20130524T000000Z");

RequestView View(std::string_view method, std::string_view target, const Headers& headers) {
  RequestView v{method, target, {}, {}};
  for (const auto& [n, val] : headers) v.headers.emplace_back(n, val);
  return v;
}

Headers V4Headers() {
  Headers h = {{"Host", "s3.local"},
               {"x-amz-content-sha256", std::string(sigv4::kEmptySha256)},
               {"x-amz-date", "20130524T000000Z"}};
  SigV4Credentials creds{std::string(kAccessKey), std::string(kSecret)};
  auto authz = SignV4Header(View("GET", "/b/k?acl", h), creds, sigv4::kEmptySha256);
  REQUIRE(authz.ok());
  h.emplace_back("Authorization", *authz);
  return h;
}

Headers V2Headers() {
  Headers h = {{"Host", "s3.local"}, {"Date", FormatHttpDate(kNow)}};
  auto sts = SigV2StringToSign(View("GET", "/b/k?acl", h), h[1].second);
  REQUIRE(sts.ok());
  h.emplace_back("Authorization",
                 "AWS " + std::string(kAccessKey) + ":" + SigV2Signature(kSecret, *sts));
  return h;
}

TEST_CASE("Authenticate dispatches to the mechanism the request uses", "[auth]") {
  Headers v4 = V4Headers();
  Headers v2 = V2Headers();
  REQUIRE(Authenticate(View("GET", "/b/k?acl", v4), kSecrets, kNow).ok());
  REQUIRE(Authenticate(View("GET", "/b/k?acl", v2), kSecrets, kNow).ok());
  // Header names are case-insensitive.
  Headers lower = v4;
  for (auto& [n, v] : lower) n = sigv4::ToLower(n);
  lower[0].first = "HOST";
  CHECK(Authenticate(View("GET", "/b/k?acl", lower), kSecrets, kNow).ok());
}

TEST_CASE("Anonymous and ambiguous requests", "[auth]") {
  Headers none = {{"Host", "s3.local"}};
  auto anon = Authenticate(View("GET", "/b/k", none), kSecrets, kNow);
  CHECK(anon.status().code() == Code::kAccessDenied);
  CHECK_FALSE(HasCredentials(View("GET", "/b/k?prefix=Signature", none)));
  CHECK(HasCredentials(View("GET", "/b/k?X-Amz-Credential=x", none)));
  CHECK(HasCredentials(View("GET", "/b/k?Signature=x", none)));
  CHECK(HasCredentials(View("GET", "/b/k", V2Headers())));
  // A parameter merely named like a credential's value is not one.
  CHECK(Authenticate(View("GET", "/b/k?prefix=X-Amz-Signature", none), kSecrets, kNow)
            .status()
            .code() == Code::kAccessDenied);
  auto both = Authenticate(View("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&Signature=x", none),
                           kSecrets, kNow);
  CHECK(both.status().code() == Code::kInvalidArgument);
  auto header_and_query = Authenticate(
      View("GET", "/b/k?AWSAccessKeyId=x&Signature=y&Expires=1", V2Headers()), kSecrets, kNow);
  CHECK(header_and_query.status().code() == Code::kInvalidArgument);
  // A presigned-looking query without the algorithm is still presigned.
  auto partial = Authenticate(View("GET", "/b/k?X-Amz-Signature=abc", none), kSecrets, kNow);
  CHECK(partial.status().code() == Code::kAuthorizationQueryParametersError);
}

std::string RandomString(std::mt19937& rng, size_t max_len) {
  static const std::vector<std::string> kPieces = {"AWS4-HMAC-SHA256",
                                                   "AWS",
                                                   " ",
                                                   ",",
                                                   ", ",
                                                   "=",
                                                   "/",
                                                   ";",
                                                   ":",
                                                   "Credential=",
                                                   "SignedHeaders=",
                                                   "Signature=",
                                                   std::string(kAccessKey),
                                                   "20130524",
                                                   "us-east-1",
                                                   "s3",
                                                   "aws4_request",
                                                   "host",
                                                   "x-amz-date",
                                                   "x-amz-content-sha256",
                                                   "0123456789abcdef",
                                                   "\t",
                                                   "%",
                                                   "%2F",
                                                   "\xff",
                                                   std::string(1, '\0'),
                                                   "X-Amz-Expires=",
                                                   "&",
                                                   "?"};
  std::string s;
  size_t n = rng() % max_len;
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 3 == 0) {
      s.push_back(static_cast<char>(rng()));
    } else {
      s += kPieces[rng() % kPieces.size()];
    }
  }
  return s;
}

TEST_CASE("Garbage Authorization headers are refused", "[auth][fuzz]") {
  std::mt19937 rng(1234);
  Headers base = V4Headers();
  base.pop_back();
  for (int i = 0; i < 600; ++i) {
    std::string authz = RandomString(rng, 24);
    switch (i % 3) {
      case 0:
        authz = "AWS4-HMAC-SHA256 " + authz;
        break;
      case 1:
        authz = "AWS " + authz;
        break;
      default:
        break;
    }
    Headers h = base;
    h.emplace_back("Authorization", authz);
    INFO(authz);
    CHECK_FALSE(Authenticate(View("GET", "/b/k?acl", h), kSecrets, kNow).ok());
  }
}

TEST_CASE("Mutated valid credentials are refused", "[auth][fuzz]") {
  std::mt19937 rng(99);
  for (const Headers& valid : {V4Headers(), V2Headers()}) {
    const std::string& good = valid.back().second;
    for (int i = 0; i < 400; ++i) {
      std::string authz = good;
      if (i % 4 == 0) {
        authz.resize(rng() % authz.size());  // truncated
      } else {
        size_t at = rng() % authz.size();
        char c;
        do {
          c = static_cast<char>(rng());
        } while (c == authz[at]);
        authz[at] = c;  // one character replaced
      }
      Headers h = valid;
      h.back().second = authz;
      INFO(authz);
      CHECK_FALSE(Authenticate(View("GET", "/b/k?acl", h), kSecrets, kNow).ok());
    }
  }
}

TEST_CASE("Garbage presigned queries are refused", "[auth][fuzz]") {
  std::mt19937 rng(4321);
  const std::vector<std::string> kNames = {
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
      "X-Amz-Signature", "AWSAccessKeyId",   "Signature",  "Expires",       "acl"};
  Headers h = {{"Host", "s3.local"}, {"x-amz-date", "20130524T000000Z"}};
  for (int i = 0; i < 600; ++i) {
    std::string target = "/b/k?";
    int params = 1 + static_cast<int>(rng() % 8);
    for (int p = 0; p < params; ++p) {
      if (p) target += '&';
      target += kNames[rng() % kNames.size()];
      if (rng() % 4) target += "=" + RandomString(rng, 6);
    }
    INFO(target);
    CHECK_FALSE(Authenticate(View("GET", target, h), kSecrets, kNow).ok());
  }
}

TEST_CASE("Random headers around a valid signature do not crash", "[auth][fuzz]") {
  std::mt19937 rng(777);
  const std::vector<std::string> kNames = {"x-amz-date",   "Date",         "x-amz-content-sha256",
                                           "Host",         "Content-Type", "Content-MD5",
                                           "x-amz-meta-a", "Authorization"};
  for (int i = 0; i < 300; ++i) {
    Headers h = (i % 2) ? V4Headers() : V2Headers();
    int extra = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < extra; ++e) {
      h.emplace_back(kNames[rng() % kNames.size()], RandomString(rng, 8));
    }
    auto r = Authenticate(View("GET", "/b/k?acl", h), kSecrets, kNow);
    // Any extra x-amz-*, signed or Authorization header breaks the request.
    // Only headers outside the signature may be added: Content-Type, -MD5
    // and Date in V4 (it signs x-amz-date); in V2 Host, or a blank
    // Content-Type or Content-MD5 (they sign as the empty line they replace).
    if (r.ok()) {
      for (size_t k = h.size() - static_cast<size_t>(extra); k < h.size(); ++k) {
        const auto& [name, value] = h[k];
        INFO(name << ": " << value);
        bool outside = name == "Content-Type" || name == "Content-MD5";
        bool blank = value.find_first_not_of(" \t") == std::string::npos;
        CHECK((i % 2 == 1 ? (outside || name == "Date") : ((outside && blank) || name == "Host")));
      }
    }
  }
}

}  // namespace
}  // namespace strata::gw
