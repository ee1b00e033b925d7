#include "gateway/s3_errors.h"

#include <catch2/catch.hpp>
#include <pugixml.hpp>
#include <string>
#include <tuple>

#include "gateway/xml.h"

namespace strata::gw {
namespace {

Code CodeAt(size_t i) { return static_cast<Code>(i); }

TEST_CASE("Every Code has a table entry with a 3xx-5xx status and an S3 code", "[s3errors]") {
  for (size_t i = 0; i < static_cast<size_t>(Code::kLast); ++i) {
    const ErrorInfo& e = LookupError(CodeAt(i));
    INFO(CodeName(CodeAt(i)));
    CHECK(e.http_status >= 300);
    CHECK(e.http_status <= 599);
    CHECK_FALSE(e.s3_code.empty());
    CHECK_FALSE(e.message.empty());
    CHECK(IsXmlText(e.message));
  }
}

TEST_CASE("S3-visible codes keep their own name as S3 code", "[s3errors]") {
  // From kAccessDenied on, the enum names S3 errors; CodeName spells them as S3 does.
  for (auto i = static_cast<size_t>(Code::kAccessDenied); i < static_cast<size_t>(Code::kLast);
       ++i) {
    if (CodeAt(i) == Code::kInvalidChecksum) continue;  // S3 calls it InvalidRequest
    INFO(CodeName(CodeAt(i)));
    CHECK(LookupError(CodeAt(i)).s3_code == CodeName(CodeAt(i)));
    CHECK_FALSE(LookupError(CodeAt(i)).internal);
  }
}

TEST_CASE("Mapping of the codes the brief and AWS pin down", "[s3errors]") {
  using Row = std::tuple<Code, unsigned, std::string_view>;
  for (const auto& [code, status, s3] : {
           Row{Code::kInternal, 500, "InternalError"},
           Row{Code::kIoError, 500, "InternalError"},
           Row{Code::kCorruption, 500, "InternalError"},
           Row{Code::kNotFound, 404, "NoSuchKey"},
           Row{Code::kAlreadyExists, 409, "OperationAborted"},
           Row{Code::kUnavailable, 503, "ServiceUnavailable"},
           Row{Code::kTimeout, 503, "ServiceUnavailable"},
           Row{Code::kAborted, 503, "ServiceUnavailable"},
           Row{Code::kSlowDown, 503, "SlowDown"},
           Row{Code::kNotModified, 304, "NotModified"},
           Row{Code::kInvalidChecksum, 400, "InvalidRequest"},
           Row{Code::kRequestHeaderSectionTooLarge, 400, "RequestHeaderSectionTooLarge"},
           Row{Code::kMaxMessageLengthExceeded, 400, "MaxMessageLengthExceeded"},
           Row{Code::kMethodNotAllowed, 405, "MethodNotAllowed"},
           Row{Code::kNotImplemented, 501, "NotImplemented"},
           Row{Code::kInvalidRange, 416, "InvalidRange"},
           Row{Code::kPreconditionFailed, 412, "PreconditionFailed"},
           Row{Code::kMissingContentLength, 411, "MissingContentLength"},
           Row{Code::kEntityTooLarge, 400, "EntityTooLarge"},
           Row{Code::kNoSuchLifecycleConfiguration, 404, "NoSuchLifecycleConfiguration"},
           Row{Code::kNoSuchTagSet, 404, "NoSuchTagSet"},
           Row{Code::kObjectLockConfigurationNotFound, 404, "ObjectLockConfigurationNotFoundError"},
           Row{Code::kNoSuchObjectLockConfiguration, 404, "NoSuchObjectLockConfiguration"},
           Row{Code::kBucketAlreadyOwnedByYou, 409, "BucketAlreadyOwnedByYou"},
           Row{Code::kBucketAlreadyExists, 409, "BucketAlreadyExists"},
           Row{Code::kBucketNotEmpty, 409, "BucketNotEmpty"},
           Row{Code::kInvalidBucketState, 409, "InvalidBucketState"},
           Row{Code::kAccessDenied, 403, "AccessDenied"},
           Row{Code::kSignatureDoesNotMatch, 403, "SignatureDoesNotMatch"},
           Row{Code::kInvalidAccessKeyId, 403, "InvalidAccessKeyId"},
           Row{Code::kRequestTimeTooSkewed, 403, "RequestTimeTooSkewed"},
           Row{Code::kInvalidObjectState, 403, "InvalidObjectState"},
           Row{Code::kNoSuchKey, 404, "NoSuchKey"},
           Row{Code::kNoSuchBucket, 404, "NoSuchBucket"},
           Row{Code::kNoSuchUpload, 404, "NoSuchUpload"},
           Row{Code::kNoSuchVersion, 404, "NoSuchVersion"},
           Row{Code::kMalformedXML, 400, "MalformedXML"},
           Row{Code::kKeyTooLong, 400, "KeyTooLongError"},
           Row{Code::kRequestTimeout, 400, "RequestTimeout"},
           Row{Code::kInvalidArgument, 400, "InvalidArgument"},
       }) {
    INFO(CodeName(code));
    CHECK(LookupError(code).http_status == status);
    CHECK(LookupError(code).s3_code == s3);
  }
  CHECK(LookupError(Code::kSlowDown).message == "Please reduce your request rate.");
  CHECK(LookupError(Code::kUnavailable).message != LookupError(Code::kSlowDown).message);
  CHECK(LookupError(Code::kInternal).message ==
        "We encountered an internal error. Please try again.");
}

TEST_CASE("Codes outside the enum, and OK, render as InternalError", "[s3errors]") {
  for (Code code : {Code::kLast, static_cast<Code>(9999), Code::kOk}) {
    CHECK(LookupError(code).http_status == 500);
    CHECK(LookupError(code).s3_code == "InternalError");
  }
}

TEST_CASE("RenderErrorXml: the documented shape", "[s3errors]") {
  CHECK(RenderErrorXml(Status(Code::kNoSuchKey), "/mybucket/myfoto.jpg", "4442587FB7D0A2F9") ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId>"
        "</Error>");
}

TEST_CASE("RenderErrorXml: which message the client sees", "[s3errors]") {
  // A public code's message is meant for the client.
  const std::string arg =
      RenderErrorXml(Status(Code::kInvalidArgument, "Invalid version id specified"), "/b/k", "r");
  CHECK(arg.find("<Message>Invalid version id specified</Message>") != std::string::npos);
  CHECK(arg.find("<Code>InvalidArgument</Code>") != std::string::npos);

  // Internal codes never leak their message.
  for (Code code : {Code::kInternal, Code::kIoError, Code::kCorruption, Code::kNotFound,
                    Code::kAlreadyExists, Code::kUnavailable, Code::kTimeout, Code::kAborted}) {
    INFO(CodeName(code));
    const std::string doc =
        RenderErrorXml(Status(code, "drive /srv/d3 (10.0.0.7) failed: EIO"), "/b/k", "r");
    CHECK(doc.find("srv") == std::string::npos);
    CHECK(doc.find("10.0.0.7") == std::string::npos);
    CHECK(doc.find(std::string(LookupError(code).message)) != std::string::npos);
  }
}

TEST_CASE("RenderErrorXml: hostile resource, request id and message stay well-formed",
          "[s3errors]") {
  const std::string doc = RenderErrorXml(Status(Code::kInvalidRequest, "bad <x> & \"y\" \x01 \xFF"),
                                         "/b/</Resource><Injected>&amp;\r\n\xC0\xAF", "id<&>");
  CHECK(IsXmlText(doc));
  pugi::xml_document parsed;
  REQUIRE(parsed.load_string(doc.c_str()));
  pugi::xml_node error = parsed.child("Error");
  REQUIRE(error);
  CHECK(std::string(error.child_value("Code")) == "InvalidRequest");
  CHECK(std::string(error.child_value("Message")) == "bad <x> & \"y\" \xEF\xBF\xBD \xEF\xBF\xBD");
  CHECK(std::string(error.child_value("Resource")) ==
        "/b/</Resource><Injected>&amp;\r\n\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(std::string(error.child_value("RequestId")) == "id<&>");
  CHECK_FALSE(error.child("Injected"));
}

TEST_CASE("RenderErrorXml works for every code, 304 included", "[s3errors]") {
  for (size_t i = 0; i <= static_cast<size_t>(Code::kLast); ++i) {
    const std::string doc = RenderErrorXml(Status(CodeAt(i), "m"), "/r", "id");
    pugi::xml_document parsed;
    INFO(CodeName(CodeAt(i)));
    REQUIRE(parsed.load_string(doc.c_str()));
    CHECK(std::string(parsed.child("Error").child_value("Code")) == LookupError(CodeAt(i)).s3_code);
  }
}

}  // namespace
}  // namespace strata::gw
