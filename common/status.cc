#include "common/status.h"

#include <array>

namespace strata {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Code::kLast)> kNames = {
    "OK",
    "InternalError",
    "IoError",
    "Corruption",
    "NotFound",
    "AlreadyExists",
    "Unavailable",
    "Timeout",
    "Aborted",
    "NotImplemented",
    "InvalidArgument",
    "AccessDenied",
    "BadDigest",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketNotEmpty",
    "EntityTooLarge",
    "EntityTooSmall",
    "IncompleteBody",
    "InvalidAccessKeyId",
    "InvalidBucketName",
    "InvalidDigest",
    "InvalidPart",
    "InvalidPartOrder",
    "InvalidRange",
    "InvalidRequest",
    "KeyTooLongError",
    "MalformedXML",
    "MetadataTooLarge",
    "MethodNotAllowed",
    "MissingContentLength",
    "MissingSecurityHeader",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "NoSuchVersion",
    "NotModified",
    "PreconditionFailed",
    "RequestTimeTooSkewed",
    "RequestTimeout",
    "SignatureDoesNotMatch",
    "SlowDown",
    "AuthorizationHeaderMalformed",
    "AuthorizationQueryParametersError",
    "ExpiredToken",
    "InvalidEncryptionAlgorithmError",
    "MalformedTrailerError",
    "XAmzContentSHA256Mismatch",
    "BadRequest",
    "InvalidStorageClass",
    "InvalidTag",
    "InvalidBucketState",
    "RequestHeaderSectionTooLarge",
    "MaxMessageLengthExceeded",
    "InvalidObjectState",
    "NoSuchTagSet",
    "NoSuchLifecycleConfiguration",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchObjectLockConfiguration",
    "InvalidChecksum",
};

}  // namespace

std::string_view CodeName(Code code) {
  auto i = static_cast<size_t>(code);
  return i < kNames.size() ? kNames[i] : "Unknown";
}

std::string Status::ToString() const {
  std::string out(CodeName(code_));
  if (message_) {
    out += ": ";
    out += *message_;
  }
  return out;
}

}  // namespace strata
