// AWS Signature Version 2 for S3 (HMAC-SHA1), still spoken by older tools:
// the "Authorization: AWS AccessKeyId:Signature" header and the
// AWSAccessKeyId / Expires / Signature query string.
//
//   StringToSign = Method \n Content-MD5 \n Content-Type \n Date \n
//                  CanonicalizedAmzHeaders CanonicalizedResource
//
// Date is empty when x-amz-date is sent (it is signed among the x-amz-*
// headers instead), and is the Expires value for query authentication.
// CanonicalizedResource is "/" + bucket for virtual-hosted requests, then the
// path as sent, then the S3 sub-resources and response-* overrides of the
// query, sorted by name.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "gateway/auth.h"

namespace strata::gw {

// `authorization` is the header value ("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8...=").
Result<AuthResult> VerifySigV2Header(const RequestView& req, std::string_view authorization,
                                     const SecretLookup& secrets, SysTime now);
// The query carries AWSAccessKeyId, Expires and Signature.
Result<AuthResult> VerifySigV2Query(const RequestView& req, const SecretLookup& secrets,
                                    SysTime now);

// The string to sign; `date_line` is the Date header value (empty when the
// request has x-amz-date) or the Expires value of a query-signed request.
// A malformed escape in a sub-resource value -> kInvalidArgument.
Result<std::string> SigV2StringToSign(const RequestView& req, std::string_view date_line);
// base64(HMAC-SHA1(secret, string_to_sign)).
std::string SigV2Signature(std::string_view secret, std::string_view string_to_sign);

}  // namespace strata::gw
