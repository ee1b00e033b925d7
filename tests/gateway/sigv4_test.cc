// SigV4: the AWS test-suite vectors through the building blocks, the S3
// documentation examples through Authenticate, and the failure modes.
#include "gateway/sigv4.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/timefmt.h"
#include "gateway/auth.h"
#include "gateway/sigv4_internal.h"

namespace strata::gw {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

RequestView View(std::string_view method, std::string_view target, const Headers& headers) {
  RequestView v{method, target, {}, {}};
  for (const auto& [n, val] : headers) v.headers.emplace_back(n, val);
  return v;
}

SysTime At(std::string_view amz_date) { return *ParseAmzDate(amz_date); }

// ---------------------------------------------------------------------------
// AWS Signature Version 4 test suite (service "service", us-east-1,
// 20150830T123600Z, secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY).

struct SuiteCase {
  const char* name;
  const char* method;
  const char* target;
  Headers headers;
  std::vector<std::string> signed_headers;
  const char* body;
  const char* signature;
};

std::string SuiteSignature(const SuiteCase& c, std::string* creq_out = nullptr) {
  RequestView req = View(c.method, c.target, c.headers);
  std::string_view path, query;
  sigv4::SplitTarget(req.target, &path, &query);
  auto canonical_query = sigv4::CanonicalQuery(query, false);
  auto canonical_headers = sigv4::CanonicalHeaders(req, c.signed_headers);
  REQUIRE(canonical_query.ok());
  REQUIRE(canonical_headers.ok());
  std::string joined;
  for (const auto& h : c.signed_headers) joined += (joined.empty() ? "" : ";") + h;
  std::string uri = sigv4::CanonicalUri(path);
  std::string payload = Sha256Hex(c.body);
  std::string creq = sigv4::CanonicalRequest(
      {req.method, uri, *canonical_query, *canonical_headers, joined, payload});
  if (creq_out) *creq_out = creq;
  std::string scope = sigv4::Scope("20150830", "us-east-1", "service");
  std::string key = sigv4::SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                      "us-east-1", "service");
  return sigv4::SignatureHex(key, sigv4::StringToSign("20150830T123600Z", scope, creq));
}

const Headers kVanilla = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
const std::vector<std::string> kHostDate = {"host", "x-amz-date"};
const std::vector<std::string> kHostHeaderDate = {"host", "my-header1", "x-amz-date"};

Headers With(Headers extra) {
  Headers h = {{"Host", "example.amazonaws.com"}};
  for (auto& e : extra) h.push_back(e);
  h.emplace_back("X-Amz-Date", "20150830T123600Z");
  return h;
}

TEST_CASE("AWS SigV4 test suite vectors", "[sigv4]") {
  const std::string kSts =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxf"
      "pSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPk"
      "yQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBA"
      "z+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  const std::string kUnreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const std::string unreserved_path = "/" + kUnreserved;
  const std::string unreserved_query = "/?" + kUnreserved + "=" + kUnreserved;
  std::vector<SuiteCase> cases = {
      {"get-vanilla", "GET", "/", kVanilla, kHostDate, "",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-header-key-duplicate", "GET", "/",
       With({{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
       kHostHeaderDate, "", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order", "GET", "/",
       With({{"My-Header1", "value4"},
             {"My-Header1", "value1"},
             {"My-Header1", "value3"},
             {"My-Header1", "value2"}}),
       kHostHeaderDate, "", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim",
       "GET",
       "/",
       With({{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
       {"host", "my-header1", "my-header2", "x-amz-date"},
       "",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"get-unreserved", "GET", unreserved_path.c_str(), kVanilla, kHostDate, "",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "/\xE1\x88\xB4", kVanilla, kHostDate, "",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-space", "GET", "/example space/", kVanilla, kHostDate, "",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
      {"get-vanilla-empty-query-key", "GET", "/?Param1=value1", kVanilla, kHostDate, "",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-order-key", "GET", "/?Param1=value2&Param1=Value1", kVanilla, kHostDate,
       "", "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", kVanilla,
       kHostDate, "", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", kVanilla, kHostDate,
       "", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-query-unreserved", "GET", unreserved_query.c_str(), kVanilla, kHostDate, "",
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "/?\xE1\x88\xB4=bar", kVanilla, kHostDate, "",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"post-vanilla", "POST", "/", kVanilla, kHostDate, "",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-sort", "POST", "/", With({{"My-Header1", "value1"}}), kHostHeaderDate, "",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "/", With({{"My-Header1", "VALUE1"}}), kHostHeaderDate, "",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-vanilla-query", "POST", "/?Param1=value1", kVanilla, kHostDate, "",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-x-www-form-urlencoded",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded"},
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"}},
       {"content-type", "host", "x-amz-date"},
       "Param1=value1",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters",
       "POST",
       "/",
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
        {"Host", "example.amazonaws.com"},
        {"X-Amz-Date", "20150830T123600Z"}},
       {"content-type", "host", "x-amz-date"},
       "Param1=value1",
       "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
      {"post-sts-header-before",
       "POST",
       "/",
       With({{"X-Amz-Security-Token", kSts}}),
       {"host", "x-amz-date", "x-amz-security-token"},
       "",
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
  };
  for (const SuiteCase& c : cases) {
    INFO(c.name);
    CHECK(SuiteSignature(c) == c.signature);
  }
}

TEST_CASE("SigV4 suite: canonical request and string to sign", "[sigv4]") {
  SuiteCase trim{"get-header-value-trim",
                 "GET",
                 "/",
                 With({{"My-Header1", " value1"}, {"My-Header2", "\t\"a   b \t c\"  "}}),
                 {"host", "my-header1", "my-header2", "x-amz-date"},
                 "",
                 ""};
  std::string creq;
  SuiteSignature(trim, &creq);
  CHECK(creq ==
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
        "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  SuiteCase order{"get-vanilla-query-order-key",
                  "GET",
                  "/?Param1=value2&Param1=Value1",
                  kVanilla,
                  kHostDate,
                  "",
                  ""};
  SuiteSignature(order, &creq);
  CHECK(creq.starts_with("GET\n/\nParam1=Value1&Param1=value2\nhost:"));
  std::string sts = sigv4::StringToSign(
      "20150830T123600Z", "20150830/us-east-1/service/aws4_request",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sts ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST_CASE("SignV4Header reproduces the suite's Authorization header", "[sigv4]") {
  RequestView req = View("GET", "/", kVanilla);
  SigV4Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                         "service"};
  auto authz = SignV4Header(req, creds, sigv4::kEmptySha256);
  REQUIRE(authz.ok());
  CHECK(*authz ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  RequestView no_date = View("GET", "/", {{"Host", "h"}});
  CHECK(SignV4Header(no_date, creds, sigv4::kEmptySha256).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("CanonicalUri keeps the path as sent and escapes raw bytes", "[sigv4]") {
  // What botocore sends for a key "a b+c€~d" is already canonical.
  CHECK(sigv4::CanonicalUri("/bucket/a%20b%2Bc%E2%82%AC~d") == "/bucket/a%20b%2Bc%E2%82%AC~d");
  CHECK(sigv4::CanonicalUri("/bucket/a b+c\xE2\x82\xAC~d") == "/bucket/a%20b%2Bc%E2%82%AC~d");
  CHECK(sigv4::CanonicalUri("/test$file.text") == "/test%24file.text");
  CHECK(sigv4::CanonicalUri("/a%2Fb//c/./../d") == "/a%2Fb//c/./../d");  // no normalising
  CHECK(sigv4::CanonicalUri("/100%") == "/100%25");
  CHECK(sigv4::CanonicalUri("/%zz") == "/%25zz");
  CHECK(sigv4::CanonicalUri("") == "/");
}

TEST_CASE("CanonicalQuery sorts encoded names and values and drops the signature", "[sigv4]") {
  CHECK(*sigv4::CanonicalQuery("uploads&prefix=a+b&a=%7e", false) == "a=~&prefix=a%20b&uploads=");
  CHECK(*sigv4::CanonicalQuery("X-Amz-Signature=abc&b=1", true) == "b=1");
  CHECK(*sigv4::CanonicalQuery("X-Amz-Signature=abc&b=1", false) == "X-Amz-Signature=abc&b=1");
  CHECK(*sigv4::CanonicalQuery("k=a/b", false) == "k=a%2Fb");
  CHECK(sigv4::CanonicalQuery("a=%", false).status().code() == Code::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// The S3 documentation examples (examplebucket, AKIAIOSFODNN7EXAMPLE,
// 20130524T000000Z), verified end to end through Authenticate.

constexpr std::string_view kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SecretLookup kSecrets = [](std::string_view ak) -> std::optional<std::string> {
  if (ak == kAccessKey) return std::string(kSecret);
  return std::nullopt;
};
const SysTime kExampleNow = At("20130524T000500Z");

std::string Authorization(std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=" +
         std::string(signed_headers) + ",Signature=" + std::string(signature);
}

Headers GetObjectHeaders() {
  return {{"Host", "examplebucket.s3.amazonaws.com"},
          {"Range", "bytes=0-9"},
          {"x-amz-content-sha256", std::string(sigv4::kEmptySha256)},
          {"x-amz-date", "20130524T000000Z"},
          {"Authorization",
           Authorization("host;range;x-amz-content-sha256;x-amz-date",
                         "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}};
}

TEST_CASE("S3 example: GET Object", "[sigv4]") {
  Headers h = GetObjectHeaders();
  auto r = Authenticate(View("GET", "/test.txt", h), kSecrets, kExampleNow);
  REQUIRE(r.ok());
  CHECK(r->access_key == kAccessKey);
  CHECK(r->payload == PayloadMode::kSignedHash);
  CHECK(r->payload_sha256_hex == sigv4::kEmptySha256);
  CHECK(r->signing_key.empty());  // only streaming uploads need it
}

TEST_CASE("S3 example: PUT Object with a '$' in the key and a Date header", "[sigv4]") {
  Headers h = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", Sha256Hex("Welcome to Amazon S3.")},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"Authorization",
                Authorization("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                              "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}};
  CHECK(h[2].second == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto r = Authenticate(View("PUT", "/test%24file.text", h), kSecrets, kExampleNow);
  REQUIRE(r.ok());
  CHECK(r->payload_sha256_hex == h[2].second);
  // Sent unescaped, the path canonicalises the same way.
  CHECK(Authenticate(View("PUT", "/test$file.text", h), kSecrets, kExampleNow).ok());
  // The method and the key are signed.
  CHECK(Authenticate(View("POST", "/test%24file.text", h), kSecrets, kExampleNow).status().code() ==
        Code::kSignatureDoesNotMatch);
  CHECK(Authenticate(View("PUT", "/test%24file.txt", h), kSecrets, kExampleNow).status().code() ==
        Code::kSignatureDoesNotMatch);
}

TEST_CASE("S3 examples: GET Bucket lifecycle and list objects (query strings)", "[sigv4]") {
  Headers h = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", std::string(sigv4::kEmptySha256)},
               {"x-amz-date", "20130524T000000Z"},
               {"Authorization",
                Authorization("host;x-amz-content-sha256;x-amz-date",
                              "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")}};
  CHECK(Authenticate(View("GET", "/?lifecycle", h), kSecrets, kExampleNow).ok());
  CHECK(Authenticate(View("GET", "/?lifecycle=", h), kSecrets, kExampleNow).ok());
  CHECK(Authenticate(View("GET", "/?policy", h), kSecrets, kExampleNow).status().code() ==
        Code::kSignatureDoesNotMatch);
  h[3].second = Authorization("host;x-amz-content-sha256;x-amz-date",
                              "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  CHECK(Authenticate(View("GET", "/?max-keys=2&prefix=J", h), kSecrets, kExampleNow).ok());
  CHECK(Authenticate(View("GET", "/?prefix=J&max-keys=2", h), kSecrets, kExampleNow).ok());
  CHECK(Authenticate(View("GET", "/?max-keys=3&prefix=J", h), kSecrets, kExampleNow)
            .status()
            .code() == Code::kSignatureDoesNotMatch);
}

constexpr std::string_view kPresigned =
    "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

TEST_CASE("S3 example: presigned GET, its expiry and PresignV4", "[sigv4]") {
  Headers h = {{"Host", "examplebucket.s3.amazonaws.com"}};
  auto r = Authenticate(View("GET", kPresigned, h), kSecrets, kExampleNow);
  REQUIRE(r.ok());
  CHECK(r->access_key == kAccessKey);
  CHECK(r->payload == PayloadMode::kNone);
  // Valid until X-Amz-Date + X-Amz-Expires.
  SysTime signed_at = At("20130524T000000Z");
  CHECK(Authenticate(View("GET", kPresigned, h), kSecrets, signed_at + std::chrono::seconds(86400))
            .ok());
  auto expired =
      Authenticate(View("GET", kPresigned, h), kSecrets, signed_at + std::chrono::seconds(86401));
  CHECK(expired.status().code() == Code::kAccessDenied);
  CHECK(expired.status().message() == "Request has expired");
  auto early =
      Authenticate(View("GET", kPresigned, h), kSecrets, signed_at - std::chrono::minutes(16));
  CHECK(early.status().code() == Code::kAccessDenied);
  CHECK(Authenticate(View("GET", kPresigned, h), kSecrets, signed_at - std::chrono::minutes(14))
            .ok());

  SigV4Credentials creds{std::string(kAccessKey), std::string(kSecret)};
  auto url =
      PresignV4("GET", "/test.txt", "examplebucket.s3.amazonaws.com", creds, signed_at, 86400);
  REQUIRE(url.ok());
  CHECK(*url == kPresigned);
  CHECK(PresignV4("GET", "/t", "h", creds, signed_at, 604801).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("Presigned requests: tampering and malformed parameters", "[sigv4]") {
  Headers h = {{"Host", "examplebucket.s3.amazonaws.com"}};
  std::string p(kPresigned);
  auto code = [&](std::string target, Headers headers = {}) {
    if (headers.empty()) headers = h;
    return Authenticate(View("GET", target, headers), kSecrets, kExampleNow).status().code();
  };
  CHECK(code(p + "&extra=1") == Code::kSignatureDoesNotMatch);
  CHECK(code(p, {{"Host", "otherbucket.s3.amazonaws.com"}}) == Code::kSignatureDoesNotMatch);
  CHECK(code(p, {{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-acl", "public-read"}}) ==
        Code::kAccessDenied);  // an unsigned x-amz-* header
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string t = p;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  constexpr Code kBad = Code::kAuthorizationQueryParametersError;
  CHECK(code(replace("X-Amz-Expires=86400", "X-Amz-Expires=604801")) == kBad);
  CHECK(code(replace("X-Amz-Expires=86400", "X-Amz-Expires=-1")) == kBad);
  CHECK(code(replace("X-Amz-Expires=86400", "X-Amz-Expires=1e3")) == kBad);
  CHECK(code(replace("X-Amz-Expires=86400", "X-Amz-Expires=")) == kBad);
  CHECK(code(replace("&X-Amz-Expires=86400", "")) == kBad);
  CHECK(code(replace("&X-Amz-SignedHeaders=host", "")) == kBad);
  CHECK(code(replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range")) == kBad);
  CHECK(code(replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524")) == kBad);
  CHECK(code(replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z")) == kBad);
  CHECK(code(replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1")) ==
        kBad);
  CHECK(code(replace("%2Fs3%2F", "%2Fec2%2F")) == kBad);
  CHECK(code(replace("aws4_request", "aws5_request")) == kBad);
  CHECK(code(replace("X-Amz-Signature=aeee", "X-Amz-Signature=AEEE")) == kBad);
  CHECK(code(p + "&X-Amz-Date=20130524T000000Z") == kBad);  // repeated
  CHECK(code(replace("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLF")) == Code::kInvalidAccessKeyId);
  CHECK(code(replace("X-Amz-Signature=aeee", "X-Amz-Signature=aeef")) ==
        Code::kSignatureDoesNotMatch);
  CHECK(code(p + "&a=%zz") == kBad);
}

// Signs a request the way an SDK would (every header), for the failure tests.
struct Signed {
  Headers headers;
  std::string target;
  std::string method;
  RequestView view() const { return View(method, target, headers); }
};

Signed SignedPut(std::string target = "/bucket/key") {
  Signed s{{{"Host", "s3.local:9000"},
            {"x-amz-content-sha256", std::string(sigv4::kUnsignedPayload)},
            {"x-amz-date", "20130524T000000Z"},
            {"x-amz-meta-color", "blue"},
            {"Content-Type", "text/plain"}},
           std::move(target),
           "PUT"};
  SigV4Credentials creds{std::string(kAccessKey), std::string(kSecret)};
  auto authz = SignV4Header(s.view(), creds, sigv4::kUnsignedPayload);
  REQUIRE(authz.ok());
  s.headers.emplace_back("Authorization", *authz);
  return s;
}

Code CodeOf(const Signed& s, SysTime now = kExampleNow) {
  auto r = Authenticate(s.view(), kSecrets, now);
  return r.ok() ? Code::kOk : r.status().code();
}

TEST_CASE("Header auth: what is signed cannot change", "[sigv4]") {
  Signed s = SignedPut("/bucket/a%20b%2Bc%E2%82%AC~d?tagging&versionId=x%2By");
  REQUIRE(CodeOf(s) == Code::kOk);
  auto r = Authenticate(s.view(), kSecrets, kExampleNow);
  CHECK(r->payload == PayloadMode::kUnsigned);

  Signed t = s;
  t.headers[3].second = "red";  // a signed header's value
  CHECK(CodeOf(t) == Code::kSignatureDoesNotMatch);
  t = s;
  t.headers.erase(t.headers.begin() + 4);  // a signed header removed
  CHECK(CodeOf(t) == Code::kSignatureDoesNotMatch);
  t = s;
  t.headers.emplace_back("x-amz-acl", "public-read");  // an unsigned x-amz-* header
  CHECK(CodeOf(t) == Code::kAccessDenied);
  t = s;
  t.headers.emplace_back("X-Amz-User-Agent", "sdk/1.0");  // informational, may be unsigned
  CHECK(CodeOf(t) == Code::kOk);
  t = s;
  t.headers.emplace_back("User-Agent", "curl");  // other unsigned headers are fine
  CHECK(CodeOf(t) == Code::kOk);
  t = s;
  t.target = "/bucket/a%20b%2Bc%E2%82%AC~d?tagging&versionId=x%2Bz";
  CHECK(CodeOf(t) == Code::kSignatureDoesNotMatch);
  t = s;
  t.method = "DELETE";
  CHECK(CodeOf(t) == Code::kSignatureDoesNotMatch);
  t = s;
  t.headers[0].second = "evil.local:9000";
  CHECK(CodeOf(t) == Code::kSignatureDoesNotMatch);
}

TEST_CASE("Header auth: paths escaped differently from how they were signed", "[sigv4]") {
  // Signed as "/b/a~b" but sent with '~' escaped, and lower-case hex digits.
  Signed s = SignedPut("/b/a~b%2B");
  s.target = "/b/a%7eb%2b";
  CHECK(CodeOf(s) == Code::kOk);
  s.target = "/b/a%7Eb+";  // '+' is not a space in a path
  CHECK(CodeOf(s) == Code::kOk);
  s.target = "/b/a%7Eb%20";
  CHECK(CodeOf(s) == Code::kSignatureDoesNotMatch);
}

TEST_CASE("Header auth: clock skew, keys and malformed credentials", "[sigv4]") {
  Signed s = SignedPut();
  SysTime t0 = At("20130524T000000Z");
  CHECK(CodeOf(s, t0 + std::chrono::minutes(15)) == Code::kOk);
  CHECK(CodeOf(s, t0 - std::chrono::minutes(15)) == Code::kOk);
  CHECK(CodeOf(s, t0 + std::chrono::minutes(16)) == Code::kRequestTimeTooSkewed);
  CHECK(CodeOf(s, t0 - std::chrono::minutes(16)) == Code::kRequestTimeTooSkewed);

  auto with_authz = [&](std::string authz) {
    Signed t = s;
    t.headers.back().second = std::move(authz);
    return CodeOf(t);
  };
  std::string good = s.headers.back().second;
  auto replaced = [&](std::string_view from, std::string_view to) {
    std::string a = good;
    a.replace(a.find(from), from.size(), to);
    return with_authz(a);
  };
  CHECK(replaced("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLX") == Code::kInvalidAccessKeyId);
  CHECK(replaced("/20130524/", "/20130525/") == Code::kAuthorizationHeaderMalformed);
  CHECK(replaced("/s3/", "/ec2/") == Code::kAuthorizationHeaderMalformed);
  CHECK(replaced("/us-east-1/", "/eu-west-1/") == Code::kSignatureDoesNotMatch);
  CHECK(replaced("/us-east-1/", "//") == Code::kAuthorizationHeaderMalformed);
  CHECK(replaced("aws4_request", "aws4_reques") == Code::kAuthorizationHeaderMalformed);
  CHECK(replaced("SignedHeaders=", "SignedHeaders=x-amz-meta-color;") ==
        Code::kAuthorizationHeaderMalformed);  // repeated name
  CHECK(replaced("SignedHeaders=content-type;host;", "SignedHeaders=content-type;") ==
        Code::kAuthorizationHeaderMalformed);  // host not signed
  CHECK(replaced("Signature=", "Signature=0") == Code::kAuthorizationHeaderMalformed);
  CHECK(replaced(", Signature=", ", Signature=x, Signature=") ==
        Code::kAuthorizationHeaderMalformed);
  CHECK(replaced("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512") == Code::kInvalidArgument);
  CHECK(with_authz("Bearer abc") == Code::kInvalidArgument);
  CHECK(with_authz("AWS4-HMAC-SHA256 ") == Code::kAuthorizationHeaderMalformed);

  Signed no_sha = s;
  no_sha.headers.erase(no_sha.headers.begin() + 1);
  CHECK(CodeOf(no_sha) == Code::kInvalidRequest);
  Signed bad_sha = s;
  bad_sha.headers[1].second = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
  CHECK(CodeOf(bad_sha) == Code::kInvalidArgument);
  Signed no_date = s;
  no_date.headers.erase(no_date.headers.begin() + 2);
  CHECK(CodeOf(no_date) == Code::kAccessDenied);
  Signed bad_date = s;
  bad_date.headers[2].second = "2013-05-24T00:00:00Z";
  CHECK(CodeOf(bad_date) == Code::kAccessDenied);
  Signed twice = s;
  twice.headers.push_back(twice.headers.back());
  CHECK(CodeOf(twice) == Code::kAuthorizationHeaderMalformed);
  Signed both = s;
  both.target += "?X-Amz-Signature=abc";
  CHECK(CodeOf(both) == Code::kInvalidArgument);
}

TEST_CASE("S3 example: streaming upload seed signature", "[sigv4]") {
  Headers h = {
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"},
      {"Authorization",
       Authorization("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                     "x-amz-decoded-content-length;x-amz-storage-class",
                     "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")}};
  auto r = Authenticate(View("PUT", "/examplebucket/chunkObject.txt", h), kSecrets, kExampleNow);
  REQUIRE(r.ok());
  CHECK(r->payload == PayloadMode::kStreamingSigned);
  CHECK(r->seed_signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  CHECK(r->amz_date == "20130524T000000Z");
  CHECK(r->scope == "20130524/us-east-1/s3/aws4_request");
  CHECK(r->signing_key == sigv4::SigningKey(kSecret, "20130524", "us-east-1", "s3"));
}

}  // namespace
}  // namespace strata::gw
