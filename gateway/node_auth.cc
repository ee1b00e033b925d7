#include "gateway/node_auth.h"

#include <algorithm>
#include <charconv>

#include "common/crypto.h"
#include "common/encoding.h"

namespace strata::gw::node {
namespace {

bool IsHex(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Status Denied(std::string why) { return Status(Code::kAccessDenied, "internal API: " + why); }

}  // namespace

std::string SigningKey(std::string_view cluster_secret) {
  return HmacSha256(cluster_secret, "strata internal api v1");
}

std::string RequestSignature(std::string_view key, std::string_view method,
                             std::string_view target, std::string_view date,
                             std::string_view nonce, std::string_view body_sha256) {
  std::string to_sign;
  to_sign.reserve(64 + method.size() + target.size() + nonce.size() + body_sha256.size());
  to_sign.append(kAuthScheme).append("\n").append(method).append("\n").append(target);
  to_sign.append("\n").append(date).append("\n").append(nonce).append("\n").append(body_sha256);
  return HexEncode(HmacSha256(key, to_sign));
}

std::string BodySignature(std::string_view key, std::string_view request_signature,
                          std::string_view body_sha256_hex) {
  std::string to_sign = "STRATA-BODY\n";
  to_sign.append(request_signature).append("\n").append(body_sha256_hex);
  return HexEncode(HmacSha256(key, to_sign));
}

Status ReplayGuard::Check(std::string_view nonce, SysTime date, SysTime now) {
  const auto skew = now > date ? now - date : date - now;
  if (skew > window_) return Denied("request date outside the replay window");
  std::lock_guard lock(mu_);
  // Forget what is older than the window: a replay of it fails the date check.
  while (!order_.empty() && now - order_.front().first > window_ * 2) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
  if (!seen_.insert(std::string(nonce)).second) return Denied("replayed request");
  order_.emplace_back(now, std::string(nonce));
  return Status();
}

Result<VerifiedRequest> VerifyRequest(std::string_view key, std::string_view method,
                                      std::string_view target, const NodeHeaders& h,
                                      ReplayGuard& guard, SysTime now) {
  if (h.authorization.empty()) return Denied("not signed");
  if (!h.authorization.starts_with(kAuthScheme) ||
      h.authorization.size() != kAuthScheme.size() + 1 + 64 ||
      h.authorization[kAuthScheme.size()] != ' ') {
    return Denied("malformed authorization");
  }
  std::string_view signature = h.authorization.substr(kAuthScheme.size() + 1);
  if (!IsHex(signature, 64) || !IsHex(h.nonce, 32)) return Denied("malformed signature or nonce");
  if (h.body_sha256 != kStreamingBody && !IsHex(h.body_sha256, 64)) {
    return Denied("malformed body hash");
  }
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(h.date.data(), h.date.data() + h.date.size(), seconds);
  if (ec != std::errc() || end != h.date.data() + h.date.size() || h.date.empty() || seconds < 0) {
    return Denied("malformed date");
  }
  std::string expected = RequestSignature(key, method, target, h.date, h.nonce, h.body_sha256);
  if (!ConstantTimeEquals(expected, signature)) return Denied("signature does not match");
  // Only a correctly signed request may use up a nonce.
  STRATA_TRY(guard.Check(h.nonce, FromMicros(seconds * 1'000'000), now));
  return VerifiedRequest{std::string(signature), std::string(h.body_sha256)};
}

}  // namespace strata::gw::node
