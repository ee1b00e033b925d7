#include "gateway/s3_errors.h"

#include <array>
#include <cstddef>

#include "gateway/xml.h"

namespace strata::gw {
namespace {

struct Entry {
  Code code;  // repeated so a static_assert can prove the table follows the enum
  ErrorInfo info;
};

constexpr std::string_view kInternalMessage = "We encountered an internal error. Please try again.";
constexpr std::string_view kUnavailableMessage = "Service is unable to handle request.";

constexpr ErrorInfo Public(unsigned status, std::string_view code, std::string_view message) {
  return {status, code, message, false};
}
constexpr ErrorInfo Internal(unsigned status, std::string_view code, std::string_view message) {
  return {status, code, message, true};
}

// One row per Code, in enum order.
constexpr std::array<Entry, static_cast<size_t>(Code::kLast)> kTable = {{
    // Rendering an error for OK is a bug; answer 500 rather than pretend success.
    {Code::kOk, Internal(500, "InternalError", kInternalMessage)},

    // Internal codes: no AWS twin, so each picks the S3 error a client handles correctly.
    {Code::kInternal, Internal(500, "InternalError", kInternalMessage)},
    {Code::kIoError, Internal(500, "InternalError", kInternalMessage)},
    {Code::kCorruption, Internal(500, "InternalError", kInternalMessage)},
    // A storage-layer lookup miss surfaces as a missing key: the only thing the gateway
    // looks up below the bucket is an object.
    {Code::kNotFound, Internal(404, "NoSuchKey", "The specified key does not exist.")},
    // A racing write created the same thing first. S3's answer to "a conflicting operation
    // got there first, retry" is 409 OperationAborted; SDKs treat it as a conflict, not as
    // a server fault.
    {Code::kAlreadyExists,
     Internal(409, "OperationAborted",
              "A conflicting conditional operation is currently in progress against this "
              "resource. Please try again.")},
    // Quorum lost or drives offline: retryable, so 503 (SDKs retry it with back-off).
    {Code::kUnavailable, Internal(503, "ServiceUnavailable", kUnavailableMessage)},
    // A drive or peer did not answer in time. Not RequestTimeout (400): that one blames the
    // client's idle socket (kRequestTimeout). The client can only retry, hence 503.
    {Code::kTimeout, Internal(503, "ServiceUnavailable", kUnavailableMessage)},
    // Cancelled because this gateway is shutting down: another one can serve the retry.
    {Code::kAborted, Internal(503, "ServiceUnavailable", kUnavailableMessage)},
    {Code::kNotImplemented,
     Public(501, "NotImplemented",
            "A header you provided implies functionality that is not implemented.")},
    {Code::kInvalidArgument, Public(400, "InvalidArgument", "Invalid Argument")},

    // S3-visible codes, as AWS lists them.
    {Code::kAccessDenied, Public(403, "AccessDenied", "Access Denied")},
    {Code::kBadDigest,
     Public(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")},
    {Code::kBucketAlreadyExists,
     Public(409, "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is shared by "
            "all users of the system. Please select a different name and try again.")},
    {Code::kBucketAlreadyOwnedByYou,
     Public(409, "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own "
            "it.")},
    {Code::kBucketNotEmpty,
     Public(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")},
    {Code::kEntityTooLarge,
     Public(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")},
    {Code::kEntityTooSmall,
     Public(400, "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed object size.")},
    {Code::kIncompleteBody,
     Public(400, "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP "
            "header.")},
    {Code::kInvalidAccessKeyId,
     Public(403, "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.")},
    {Code::kInvalidBucketName,
     Public(400, "InvalidBucketName", "The specified bucket is not valid.")},
    {Code::kInvalidDigest,
     Public(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")},
    {Code::kInvalidPart,
     Public(400, "InvalidPart",
            "One or more of the specified parts could not be found. The part may not have "
            "been uploaded, or the specified entity tag may not match the part's entity "
            "tag.")},
    {Code::kInvalidPartOrder,
     Public(400, "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part "
            "number.")},
    {Code::kInvalidRange, Public(416, "InvalidRange", "The requested range is not satisfiable")},
    {Code::kInvalidRequest, Public(400, "InvalidRequest", "Invalid Request")},
    {Code::kKeyTooLong, Public(400, "KeyTooLongError", "Your key is too long")},
    {Code::kMalformedXML,
     Public(400, "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema")},
    {Code::kMetadataTooLarge,
     Public(400, "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.")},
    {Code::kMethodNotAllowed,
     Public(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")},
    {Code::kMissingContentLength,
     Public(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")},
    {Code::kMissingSecurityHeader,
     Public(400, "MissingSecurityHeader", "Your request was missing a required header.")},
    {Code::kNoSuchBucket, Public(404, "NoSuchBucket", "The specified bucket does not exist")},
    {Code::kNoSuchKey, Public(404, "NoSuchKey", "The specified key does not exist.")},
    {Code::kNoSuchUpload,
     Public(404, "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload "
            "may have been aborted or completed.")},
    {Code::kNoSuchVersion, Public(404, "NoSuchVersion", "The specified version does not exist.")},
    {Code::kNotModified, Public(304, "NotModified", "Not Modified")},
    {Code::kPreconditionFailed,
     Public(412, "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold")},
    {Code::kRequestTimeTooSkewed,
     Public(403, "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.")},
    {Code::kRequestTimeout,
     Public(400, "RequestTimeout",
            "Your socket connection to the server was not read from or written to within the "
            "timeout period. Idle connections will be closed.")},
    {Code::kSignatureDoesNotMatch,
     Public(403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.")},
    {Code::kSlowDown, Public(503, "SlowDown", "Please reduce your request rate.")},
    {Code::kAuthorizationHeaderMalformed,
     Public(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")},
    {Code::kAuthorizationQueryParametersError,
     Public(400, "AuthorizationQueryParametersError",
            "The authorization query parameters are not valid.")},
    {Code::kExpiredToken, Public(400, "ExpiredToken", "The provided token has expired.")},
    {Code::kInvalidEncryptionAlgorithm,
     Public(400, "InvalidEncryptionAlgorithmError",
            "The encryption request you specified is not valid. The valid value is AES256.")},
    {Code::kMalformedTrailer,
     Public(400, "MalformedTrailerError",
            "The request contained trailing data that was not well-formed or did not conform "
            "to our published schema.")},
    {Code::kXAmzContentSHA256Mismatch,
     Public(400, "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.")},
    {Code::kBadRequest, Public(400, "BadRequest", "Bad Request")},
    {Code::kInvalidStorageClass,
     Public(400, "InvalidStorageClass", "The storage class you specified is not valid")},
    {Code::kInvalidTag, Public(400, "InvalidTag", "The tag provided was not a valid tag.")},
    {Code::kInvalidBucketState,
     Public(409, "InvalidBucketState",
            "The request is not valid with the current state of the bucket.")},
    {Code::kRequestHeaderSectionTooLarge,
     Public(400, "RequestHeaderSectionTooLarge",
            "Your request header section exceeds the maximum allowed size.")},
    {Code::kMaxMessageLengthExceeded,
     Public(400, "MaxMessageLengthExceeded", "Your request was too big.")},
    // 403, not 409: AWS answers a GET of an archived object this way.
    {Code::kInvalidObjectState,
     Public(403, "InvalidObjectState",
            "The operation is not valid for the current state of the object.")},
    {Code::kNoSuchTagSet, Public(404, "NoSuchTagSet", "The TagSet does not exist")},
    {Code::kNoSuchLifecycleConfiguration,
     Public(404, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")},
    {Code::kObjectLockConfigurationNotFound,
     Public(404, "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket")},
    {Code::kNoSuchObjectLockConfiguration,
     Public(404, "NoSuchObjectLockConfiguration",
            "The specified object does not have a ObjectLock configuration")},
    // A checksum header that does not decode (bad base64, wrong length). AWS reports it as
    // InvalidRequest; a checksum that decodes but does not match is kBadDigest.
    {Code::kInvalidChecksum,
     Public(400, "InvalidRequest", "Value for x-amz-checksum header is invalid.")},
}};

constexpr bool TableFollowsEnum() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].code) != i) return false;
    const ErrorInfo& e = kTable[i].info;
    if (e.http_status < 300 || e.http_status > 599 || e.s3_code.empty() || e.message.empty()) {
      return false;
    }
  }
  return true;
}
static_assert(TableFollowsEnum(), "kTable must have one valid row per Code, in enum order");

}  // namespace

const ErrorInfo& LookupError(Code code) {
  const auto i = static_cast<size_t>(code);
  return i < kTable.size() ? kTable[i].info : kTable[static_cast<size_t>(Code::kInternal)].info;
}

std::string RenderErrorXml(const Status& status, std::string_view resource,
                           std::string_view request_id) {
  const ErrorInfo& info = LookupError(status.code());
  const std::string_view message =
      !info.internal && !status.message().empty() ? status.message() : info.message;
  XmlWriter xml;
  xml.Open("Error")
      .Element("Code", info.s3_code)
      .Element("Message", message)
      .Element("Resource", resource)
      .Element("RequestId", request_id);
  return xml.Finish();
}

}  // namespace strata::gw
