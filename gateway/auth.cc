#include "gateway/auth.h"

#include <algorithm>

#include "gateway/sigv2.h"
#include "gateway/sigv4.h"
#include "gateway/sigv4_internal.h"

namespace strata::gw {
namespace {

struct QueryAuth {
  bool v4 = false;  // X-Amz-Algorithm / X-Amz-Credential / X-Amz-Signature
  bool v2 = false;  // AWSAccessKeyId / Signature
};

// Looks only at raw parameter names (these are plain ASCII, never escaped by
// any client), so detection does not depend on the query decoding.
QueryAuth DetectQueryAuth(std::string_view target) {
  std::string_view path, query;
  sigv4::SplitTarget(target, &path, &query);
  QueryAuth found;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view name = query.substr(0, std::min(amp, query.find('=')));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Signature") {
      found.v4 = true;
    } else if (name == "AWSAccessKeyId" || name == "Signature") {
      found.v2 = true;
    }
  }
  return found;
}

}  // namespace

bool HasCredentials(const RequestView& req) {
  if (sigv4::HeaderCount(req, "authorization") > 0) return true;
  QueryAuth q = DetectQueryAuth(req.target);
  return q.v4 || q.v2;
}

Result<AuthResult> Authenticate(const RequestView& req, const SecretLookup& secrets, SysTime now) {
  size_t authorization_headers = sigv4::HeaderCount(req, "authorization");
  QueryAuth query = DetectQueryAuth(req.target);
  if (authorization_headers == 0 && !query.v4 && !query.v2) {
    return Status(Code::kAccessDenied, "Anonymous access is not allowed");
  }
  if ((authorization_headers > 0 && (query.v4 || query.v2)) || (query.v4 && query.v2)) {
    return Status(Code::kInvalidArgument, "Only one auth mechanism allowed");
  }
  if (authorization_headers > 1) {
    return Status(Code::kAuthorizationHeaderMalformed, "More than one Authorization header");
  }
  if (authorization_headers == 1) {
    std::string authorization = *sigv4::HeaderValue(req, "authorization");
    if (authorization.starts_with("AWS4-HMAC-SHA256 ")) {
      return VerifySigV4Header(req, authorization, secrets, now);
    }
    if (authorization.starts_with("AWS ")) {
      return VerifySigV2Header(req, authorization, secrets, now);
    }
    return Status(Code::kInvalidArgument, "Unsupported Authorization Type");
  }
  if (query.v4) return VerifySigV4Presigned(req, secrets, now);
  return VerifySigV2Query(req, secrets, now);
}

}  // namespace strata::gw
