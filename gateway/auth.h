// Request authentication: one entry point that recognises and verifies AWS
// Signature Version 4 (Authorization header or presigned query) and Version 2
// (Authorization header or query string), as S3 accepts them.
//
// Everything here is a pure function of the request's method, raw target and
// headers, the secret lookup and the current time: no Beast types, no I/O, no
// clock reads. The body is not seen: a signed payload hash is returned for the
// handler to check against the bytes it reads, and streaming (aws-chunked)
// uploads get the signing material their chunk signatures chain from (see
// gateway/aws_chunked.h).
//
// Thread safety: pure functions; safe from any thread. A RequestView only
// borrows the caller's strings, which must outlive the call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace strata::gw {

// Header-signed requests must be this close to the server's clock, and a
// presigned request is not valid yet when its X-Amz-Date is further ahead.
inline constexpr std::chrono::minutes kMaxClockSkew{15};
// The longest X-Amz-Expires SigV4 allows (one week).
inline constexpr int64_t kMaxPresignedExpirySeconds = 604800;

struct RequestView {
  std::string_view method;  // "PUT"
  // The raw request-target exactly as received: "/bucket/key%20x?uploads&a=b".
  std::string_view target;
  // As received: any case, repeated names possible, values without the
  // surrounding whitespace the HTTP parser strips.
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  // The bucket named by the Host header for a virtual-hosted-style request
  // ("johnsmith" for johnsmith.s3.example.com), empty for path style. Only
  // SigV2 signs it (its canonical resource starts with "/bucket"); the
  // router knows the service's domain names, so it fills this in.
  std::string_view virtual_host_bucket;
};

enum class PayloadMode {
  kNone,                      // SigV2 or presigned: no payload hash is signed
  kUnsigned,                  // UNSIGNED-PAYLOAD
  kSignedHash,                // x-amz-content-sha256 = hex sha256 of the body: the handler
                              // must verify it (XAmzContentSHA256Mismatch)
  kStreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

struct AuthResult {
  std::string access_key;
  PayloadMode payload = PayloadMode::kNone;
  std::string payload_sha256_hex;  // lower-case, for kSignedHash
  // For the streaming-signed modes: chunk signatures chain from
  // seed_signature (the request's own signature, lower-case hex).
  // signing_key is raw bytes: never log it.
  std::string signing_key, seed_signature, amz_date, scope;
};

// Returns the secret key of an access key, or nullopt when it is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key)>;

// Verifies SigV4 (Authorization header, or the X-Amz-Algorithm presigned
// query) and SigV2 (Authorization: AWS AK:sig, or the AWSAccessKeyId /
// Signature / Expires query). Errors:
//   no credentials at all               -> kAccessDenied
//   header and query credentials both   -> kInvalidArgument
//   unknown access key                  -> kInvalidAccessKeyId
//   wrong signature                     -> kSignatureDoesNotMatch
//   malformed Authorization header      -> kAuthorizationHeaderMalformed, or kInvalidArgument
//                                          (unsupported type, bad x-amz-content-sha256)
//   missing x-amz-content-sha256        -> kInvalidRequest
//   malformed presigned query           -> kAuthorizationQueryParametersError
//   expired presigned request           -> kAccessDenied "Request has expired"
//   x-amz-* header present, not signed  -> kAccessDenied
//   header auth |now - date| > 15 min   -> kRequestTimeTooSkewed
// Signatures are compared in constant time.
Result<AuthResult> Authenticate(const RequestView& req, const SecretLookup& secrets, SysTime now);

// True when the request carries any credentials (an Authorization header or
// a SigV4/SigV2 query signature); false for an anonymous request.
bool HasCredentials(const RequestView& req);

}  // namespace strata::gw
