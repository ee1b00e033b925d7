// SigV2: the examples of the AWS S3 "Signing and Authenticating REST
// Requests" page (AKIAIOSFODNN7EXAMPLE, bucket johnsmith) and failure modes.
#include "gateway/sigv2.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/timefmt.h"
#include "gateway/auth.h"

namespace strata::gw {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SecretLookup kSecrets = [](std::string_view ak) -> std::optional<std::string> {
  if (ak == kAccessKey) return std::string(kSecret);
  return std::nullopt;
};

struct Req {
  std::string method;
  std::string target;
  Headers headers;
  std::string bucket;  // virtual-hosted style
  RequestView view() const {
    RequestView v{method, target, {}, bucket};
    for (const auto& [n, val] : headers) v.headers.emplace_back(n, val);
    return v;
  }
};

SysTime Http(std::string_view date) { return *ParseHttpDate(date); }

// The examples write dates as "Tue, 27 Mar 2007 19:36:42 +0000".
SysTime ExampleTime(std::string_view date) {
  std::string gmt(date.substr(0, date.size() - 5));
  return Http(gmt + "GMT");
}

TEST_CASE("SigV2 examples: string to sign and signature", "[sigv2]") {
  struct Example {
    const char* name;
    Req req;
    const char* date_line;
    const char* string_to_sign;
    const char* signature;
  };
  std::vector<Example> examples = {
      {"object GET",
       {"GET",
        "/photos/puppy.jpg",
        {{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}},
        "johnsmith"},
       "Tue, 27 Mar 2007 19:36:42 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
       "bWq2s1WEIj+Ydj0vQ697zp+IXMU="},
      {"object GET, path style",
       {"GET",
        "/johnsmith/photos/puppy.jpg",
        {{"Host", "s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}},
        ""},
       "Tue, 27 Mar 2007 19:36:42 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
       "bWq2s1WEIj+Ydj0vQ697zp+IXMU="},
      {"object PUT",
       {"PUT",
        "/photos/puppy.jpg",
        {{"Content-Type", "image/jpeg"},
         {"Content-Length", "94328"},
         {"Host", "johnsmith.s3.amazonaws.com"},
         {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}},
        "johnsmith"},
       "Tue, 27 Mar 2007 21:15:45 +0000",
       "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
       "MyyxeRY7whkBe+bq8fHCL/2kKUg="},
      {"list",
       {"GET",
        "/?prefix=photos&max-keys=50&marker=puppy",
        {{"User-Agent", "Mozilla/5.0"},
         {"Host", "johnsmith.s3.amazonaws.com"},
         {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"}},
        "johnsmith"},
       "Tue, 27 Mar 2007 19:42:41 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
       "htDYFYduRNen8P9ZfE/s9SuKy0U="},
      {"fetch ACL",
       {"GET",
        "/?acl",
        {{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:44:46 +0000"}},
        "johnsmith"},
       "Tue, 27 Mar 2007 19:44:46 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
       "c2WLPFtWHVgbEmeEG93a4cG37dM="},
      {"upload with x-amz headers and a CNAME bucket",
       {"PUT",
        "/db-backup.dat.gz",
        {{"User-Agent", "curl/7.15.5"},
         {"Host", "static.johnsmith.net:8080"},
         {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
         {"x-amz-acl", "public-read"},
         {"content-type", "application/x-download"},
         {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
         {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
         {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
         {"X-Amz-Meta-FileChecksum", "0x02661779"},
         {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
         {"Content-Disposition", "attachment; filename=database.dat"},
         {"Content-Encoding", "gzip"},
         {"Content-Length", "5913339"}},
        "static.johnsmith.net"},
       "Tue, 27 Mar 2007 21:06:08 +0000",
       "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
       "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n"
       "x-amz-meta-filechecksum:0x02661779\n"
       "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
       "/static.johnsmith.net/db-backup.dat.gz",
       "ilyl83RwaSoYIEdixDQcA4OnAnc="},
      {"object GET, newer documentation bucket",
       {"GET",
        "/photos/puppy.jpg",
        {{"Host", "awsexamplebucket1.us-west-1.s3.amazonaws.com"},
         {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}},
        "awsexamplebucket1"},
       "Tue, 27 Mar 2007 19:36:42 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
       "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="},
  };
  for (Example& e : examples) {
    INFO(e.name);
    auto sts = SigV2StringToSign(e.req.view(), e.date_line);
    REQUIRE(sts.ok());
    CHECK(*sts == e.string_to_sign);
    CHECK(SigV2Signature(kSecret, *sts) == e.signature);
    // And through Authenticate, at the request's own time.
    e.req.headers.emplace_back("Authorization",
                               "AWS " + std::string(kAccessKey) + ":" + e.signature);
    auto r = Authenticate(e.req.view(), kSecrets, ExampleTime(e.date_line));
    REQUIRE(r.ok());
    CHECK(r->access_key == kAccessKey);
    CHECK(r->payload == PayloadMode::kNone);
  }
}

TEST_CASE("SigV2 canonical resource: sub-resources sorted, others ignored", "[sigv2]") {
  Req r{
      "GET",
      "/b/k?versionId=3%2B1&acl&prefix=x&response-content-type=text%2Fplain&uploads=&partNumber=2",
      {},
      ""};
  auto sts = SigV2StringToSign(r.view(), "D");
  REQUIRE(sts.ok());
  CHECK(
      *sts ==
      "GET\n\n\nD\n/b/k?acl&partNumber=2&response-content-type=text/plain&uploads=&versionId=3+1");
  r.target = "/b/k?acl=%zz";
  CHECK(SigV2StringToSign(r.view(), "D").status().code() == Code::kInvalidArgument);
}

TEST_CASE("SigV2 header auth with x-amz-date signs an empty Date line", "[sigv2]") {
  Req r{"DELETE",
        "/johnsmith/photos/puppy.jpg",
        {{"User-Agent", "dotnet"},
         {"Host", "s3.amazonaws.com"},
         {"Date", "Tue, 27 Mar 2007 21:20:27 +0000"},
         {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}},
        ""};
  auto sts = SigV2StringToSign(r.view(), "");
  REQUIRE(sts.ok());
  CHECK(*sts ==
        "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg");
  r.headers.emplace_back("Authorization",
                         "AWS AKIAIOSFODNN7EXAMPLE:" + SigV2Signature(kSecret, *sts));
  SysTime now = Http("Tue, 27 Mar 2007 21:20:26 GMT");
  CHECK(Authenticate(r.view(), kSecrets, now).ok());
  // Changing Date does not matter any more; changing x-amz-date does.
  r.headers[2].second = "Wed, 28 Mar 2007 21:20:27 +0000";
  CHECK(Authenticate(r.view(), kSecrets, now).ok());
  r.headers[3].second = "Tue, 27 Mar 2007 21:20:25 +0000";
  CHECK(Authenticate(r.view(), kSecrets, now).status().code() == Code::kSignatureDoesNotMatch);
}

TEST_CASE("SigV2 header auth failures", "[sigv2]") {
  Req base{"GET",
           "/photos/puppy.jpg",
           {{"Host", "johnsmith.s3.amazonaws.com"},
            {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"},
            {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}},
           "johnsmith"};
  SysTime now = Http("Tue, 27 Mar 2007 19:36:42 GMT");
  auto code = [&](const Req& r, SysTime t) {
    auto res = Authenticate(r.view(), kSecrets, t);
    return res.ok() ? Code::kOk : res.status().code();
  };
  REQUIRE(code(base, now) == Code::kOk);
  CHECK(code(base, now + std::chrono::minutes(16)) == Code::kRequestTimeTooSkewed);
  CHECK(code(base, now - std::chrono::minutes(16)) == Code::kRequestTimeTooSkewed);
  Req r = base;
  r.headers[2].second = "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMV=";
  CHECK(code(r, now) == Code::kSignatureDoesNotMatch);
  r.headers[2].second = "AWS AKIAIOSFODNN7EXAMPLX:bWq2s1WEIj+Ydj0vQ697zp+IXMU=";
  CHECK(code(r, now) == Code::kInvalidAccessKeyId);
  for (const char* bad : {"AWS AKIAIOSFODNN7EXAMPLE", "AWS :sig", "AWS AK:", "AWS "}) {
    r.headers[2].second = bad;
    INFO(bad);
    CHECK(code(r, now) == Code::kInvalidArgument);
  }
  r = base;
  r.bucket = "otherbucket";
  CHECK(code(r, now) == Code::kSignatureDoesNotMatch);
  r = base;
  r.headers.erase(r.headers.begin() + 1);
  CHECK(code(r, now) == Code::kAccessDenied);  // no Date
  r = base;
  r.headers[1].second = "yesterday";
  CHECK(code(r, now) == Code::kAccessDenied);
  r = base;
  r.headers.emplace_back("x-amz-meta-added", "1");  // x-amz-* headers are signed in V2
  CHECK(code(r, now) == Code::kSignatureDoesNotMatch);
}

TEST_CASE("SigV2 query-string authentication", "[sigv2]") {
  std::string target =
      "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620"
      "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
  Req r{"GET", target, {{"Host", "johnsmith.s3.amazonaws.com"}}, "johnsmith"};
  auto sts = SigV2StringToSign(r.view(), "1175139620");
  REQUIRE(sts.ok());
  CHECK(*sts == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
  SysTime before = FromMicros(1175139000LL * 1000000);
  SysTime after = FromMicros(1175139621LL * 1000000);
  auto ok = Authenticate(r.view(), kSecrets, before);
  REQUIRE(ok.ok());
  CHECK(ok->access_key == kAccessKey);
  auto expired = Authenticate(r.view(), kSecrets, after);
  CHECK(expired.status().code() == Code::kAccessDenied);
  CHECK(expired.status().message() == "Request has expired");
  // A '+' the client forgot to escape arrives as a space.
  r.target =
      "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620"
      "&Signature=NpgCjnDzrM+WFzoENXmpNDUsSn8%3D";
  CHECK(Authenticate(r.view(), kSecrets, before).ok());

  auto code = [&](std::string t) {
    Req q = r;
    q.target = std::move(t);
    auto res = Authenticate(q.view(), kSecrets, before);
    return res.ok() ? Code::kOk : res.status().code();
  };
  CHECK(code("/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139621"
             "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D") == Code::kSignatureDoesNotMatch);
  CHECK(code("/photos/kitten.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620"
             "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D") == Code::kSignatureDoesNotMatch);
  CHECK(code("/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620") ==
        Code::kAccessDenied);
  CHECK(code("/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=soon"
             "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D") == Code::kAccessDenied);
  CHECK(code("/photos/puppy.jpg?AWSAccessKeyId=NOPE&Expires=1175139620"
             "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D") == Code::kInvalidAccessKeyId);
  CHECK(code("/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620"
             "&Signature=a&Signature=b") == Code::kInvalidArgument);
}

}  // namespace
}  // namespace strata::gw
