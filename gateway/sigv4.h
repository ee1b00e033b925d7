// AWS Signature Version 4 for S3: verification of header-signed and
// presigned requests (called through Authenticate, gateway/auth.h), and the
// client side (signing a request, presigning a URL) for tools, benchmarks and
// tests that talk to Strata like any SDK.
//
// Region: any region in the credential scope is accepted (it is signed, so a
// client can not change it without the secret); the service must be "s3"
// (or the one the caller names, for the admin API).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "gateway/auth.h"

namespace strata::gw {

// `authorization` is the Authorization header value ("AWS4-HMAC-SHA256 ...").
// The credential scope must name `service` ("s3"; the admin API uses
// "strata", so an S3 signature can never pass for an admin call).
Result<AuthResult> VerifySigV4Header(const RequestView& req, std::string_view authorization,
                                     const SecretLookup& secrets, SysTime now,
                                     std::string_view service = "s3");
// The query carries X-Amz-Algorithm & co.
Result<AuthResult> VerifySigV4Presigned(const RequestView& req, const SecretLookup& secrets,
                                        SysTime now);

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service = "s3";
};

// Client side: the Authorization header value for `req`, signing every header
// it carries (names lower-cased and sorted). `req` must carry an x-amz-date
// header ("20130524T000000Z") and, for S3, x-amz-content-sha256 equal to
// `payload_hash`.
Result<std::string> SignV4Header(const RequestView& req, const SigV4Credentials& creds,
                                 std::string_view payload_hash);

// Client side: `target` with the SigV4 presigned query appended (signing the
// host header only, payload UNSIGNED-PAYLOAD), valid for expires_seconds
// from `now`.
Result<std::string> PresignV4(std::string_view method, std::string_view target,
                              std::string_view host, const SigV4Credentials& creds, SysTime now,
                              int64_t expires_seconds);

}  // namespace strata::gw
