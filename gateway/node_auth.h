// Authentication of the internal API (docs/ARCHITECTURE.md, "The internal
// API"): every request carries an HMAC-SHA256 by the cluster secret over
// its method, target, time, a nonce and its body's SHA-256; a streamed body
// (shard writes) ends with its SHA-256 and an HMAC chained to the request's
// signature, checked before the shard is committed.
//
//   x-strata-date            unix seconds
//   x-strata-nonce           32 hex digits, never reused
//   x-strata-content-sha256  hex SHA-256 of the body, or STREAMING
//   authorization            STRATA-HMAC-SHA256 <64 hex digits>
//
// A node refuses a request whose date is more than the window away from its
// clock, and a nonce it has seen within the window (replays).
//
// Thread safety: the functions are pure; ReplayGuard is thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/clock.h"
#include "common/status.h"

namespace strata::gw::node {

inline constexpr std::string_view kStreamingBody = "STREAMING";
inline constexpr std::string_view kAuthScheme = "STRATA-HMAC-SHA256";

// The signing key every node and gateway derives from the cluster secret.
std::string SigningKey(std::string_view cluster_secret);

// Hex HMAC over the request's parts (`target` is the raw request target).
std::string RequestSignature(std::string_view key, std::string_view method,
                             std::string_view target, std::string_view date,
                             std::string_view nonce, std::string_view body_sha256);
// Hex HMAC that closes a streamed body: chained to the request's signature.
std::string BodySignature(std::string_view key, std::string_view request_signature,
                          std::string_view body_sha256_hex);

// Remembers nonces for `window` so that a captured request cannot be
// replayed, and refuses dates outside the window.
class ReplayGuard {
 public:
  explicit ReplayGuard(std::chrono::seconds window = std::chrono::seconds(60)) : window_(window) {}
  // kAccessDenied for an expired / future date or a reused nonce.
  Status Check(std::string_view nonce, SysTime date, SysTime now);
  std::chrono::seconds window() const { return window_; }

 private:
  std::chrono::seconds window_;
  std::mutex mu_;
  std::unordered_set<std::string> seen_;                // guarded by mu_
  std::deque<std::pair<SysTime, std::string>> order_;   // guarded by mu_; by arrival
};

struct VerifiedRequest {
  std::string signature;    // hex, for a streamed body's closing HMAC
  std::string body_sha256;  // hex, or STREAMING
};

// Checks the headers of a request (names lower-case). kAccessDenied for a
// missing, malformed or wrong signature, an expired date or a replay.
struct NodeHeaders {
  std::string_view date, nonce, body_sha256, authorization;
};
Result<VerifiedRequest> VerifyRequest(std::string_view key, std::string_view method,
                                      std::string_view target, const NodeHeaders& headers,
                                      ReplayGuard& guard, SysTime now);

}  // namespace strata::gw::node
