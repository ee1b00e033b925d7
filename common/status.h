// Status and Result<T>: the one error convention of the whole project.
//
// A Status is a code plus an optional message. OK is a single enum and costs
// nothing; the message lives on the heap only when there is an error. Codes
// are semantic: the storage layer can say NoSuchKey as well as the gateway,
// and gateway/s3_errors.cc turns every code into {HTTP status, S3 Code} in
// one table. Messages may reach clients, so they must never carry secrets,
// paths or other internals; put those in logs.
//
// Thread safety: values, no shared state.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace strata {

enum class Code : unsigned short {
  kOk = 0,
  // Generic, internal.
  kInternal,          // a bug or an unexpected state; details only in logs
  kIoError,           // a drive failed an operation
  kCorruption,        // a checksum or format did not verify
  kNotFound,          // generic lookup miss inside the storage layer
  kAlreadyExists,
  kUnavailable,       // quorum lost / drive offline: retry later (503)
  kTimeout,
  kAborted,           // cancelled, shutting down
  kNotImplemented,
  kInvalidArgument,   // S3 InvalidArgument
  // S3-visible semantics.
  kAccessDenied,
  kBadDigest,
  kBucketAlreadyExists,
  kBucketAlreadyOwnedByYou,
  kBucketNotEmpty,
  kEntityTooLarge,
  kEntityTooSmall,
  kIncompleteBody,
  kInvalidAccessKeyId,
  kInvalidBucketName,
  kInvalidDigest,
  kInvalidPart,
  kInvalidPartOrder,
  kInvalidRange,
  kInvalidRequest,
  kKeyTooLong,
  kMalformedXML,
  kMetadataTooLarge,
  kMethodNotAllowed,
  kMissingContentLength,
  kMissingSecurityHeader,
  kNoSuchBucket,
  kNoSuchKey,
  kNoSuchUpload,
  kNoSuchVersion,
  kNotModified,
  kPreconditionFailed,
  kRequestTimeTooSkewed,
  kRequestTimeout,
  kSignatureDoesNotMatch,
  kSlowDown,
  kAuthorizationHeaderMalformed,
  kAuthorizationQueryParametersError,
  kExpiredToken,
  kInvalidEncryptionAlgorithm,
  kMalformedTrailer,
  kXAmzContentSHA256Mismatch,
  kBadRequest,
  kInvalidStorageClass,
  kInvalidTag,
  kInvalidBucketState,
  kRequestHeaderSectionTooLarge,
  kMaxMessageLengthExceeded,
  kInvalidObjectState,
  kNoSuchTagSet,
  kNoSuchLifecycleConfiguration,
  kObjectLockConfigurationNotFound,
  kNoSuchObjectLockConfiguration,
  kInvalidChecksum,   // x-amz-checksum-* value not decodable
  kLast,              // keep last: the size of the error table
};

// The canonical name of a code, e.g. "NoSuchKey" (for logs and tests).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  explicit Status(Code code) : code_(code) {}
  Status(Code code, std::string message)
      : code_(code),
        message_(message.empty() ? nullptr
                                 : std::make_shared<const std::string>(std::move(message))) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Empty when no message was given.
  std::string_view message() const { return message_ ? std::string_view(*message_) : ""; }
  // "NoSuchKey: message" for logs.
  std::string ToString() const;

  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }

 private:
  Code code_ = Code::kOk;
  std::shared_ptr<const std::string> message_;  // shared: Status copies stay cheap
};

// Result<T>: a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>);

 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT: implicit
    assert(!std::get<1>(v_).ok() && "Result constructed from an OK status");
  }
  Result(Code code, std::string message = {})  // NOLINT: implicit
      : Result(Status(code, std::move(message))) {}

  bool ok() const { return v_.index() == 0; }
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace strata

// Early-return helpers. STRATA_TRY(expr) returns the Status of a failed
// Status or Result expression; STRATA_ASSIGN_OR_RETURN(lhs, expr) unwraps.
#define STRATA_CONCAT_INNER(a, b) a##b
#define STRATA_CONCAT(a, b) STRATA_CONCAT_INNER(a, b)

#define STRATA_TRY(expr)                                   \
  do {                                                     \
    auto&& strata_try_ = (expr);                           \
    if (!strata_try_.ok()) return ::strata::ToStatus(strata_try_); \
  } while (0)

#define STRATA_ASSIGN_OR_RETURN(lhs, expr)                                   \
  auto&& STRATA_CONCAT(strata_res_, __LINE__) = (expr);                      \
  if (!STRATA_CONCAT(strata_res_, __LINE__).ok())                            \
    return STRATA_CONCAT(strata_res_, __LINE__).status();                    \
  lhs = std::move(STRATA_CONCAT(strata_res_, __LINE__)).value()

// Coroutine flavours (co_return instead of return).
#define STRATA_CO_TRY(expr)                                   \
  do {                                                        \
    auto&& strata_try_ = (expr);                              \
    if (!strata_try_.ok()) co_return ::strata::ToStatus(strata_try_); \
  } while (0)

#define STRATA_CO_ASSIGN_OR_RETURN(lhs, expr)                                \
  auto&& STRATA_CONCAT(strata_res_, __LINE__) = (expr);                      \
  if (!STRATA_CONCAT(strata_res_, __LINE__).ok())                            \
    co_return STRATA_CONCAT(strata_res_, __LINE__).status();                 \
  lhs = std::move(STRATA_CONCAT(strata_res_, __LINE__)).value()

namespace strata {
inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) { return r.status(); }
}  // namespace strata
