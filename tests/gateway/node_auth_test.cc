// The internal API's request authentication: what verifies, and everything
// that must not (a wrong secret, an altered method, path, date, nonce or
// body hash, an expired or future date, a replayed nonce, malformed
// headers), and the closing HMAC of streamed bodies.
#include "gateway/node_auth.h"

#include <catch2/catch.hpp>

#include "common/crypto.h"
#include "common/encoding.h"

namespace strata::gw::node {
namespace {

const std::string kKey = SigningKey("cluster-secret-0123456789");
const SysTime kNow = FromMicros(int64_t{1'800'000'000} * 1'000'000);

struct Signed {
  std::string method = "POST", target = "/internal/v1/rpc?drive=hot%2Fset1%2Fdrive1";
  std::string date = "1800000000";
  std::string nonce = std::string(32, 'a');
  std::string body = Sha256Hex("{}");
  std::string authorization;
  Signed() { Sign(kKey); }
  void Sign(const std::string& key) {
    authorization = std::string(kAuthScheme) + " " +
                    RequestSignature(key, method, target, date, nonce, body);
  }
  NodeHeaders Headers() const { return {date, nonce, body, authorization}; }
};

TEST_CASE("a correctly signed request verifies, once", "[node_auth]") {
  ReplayGuard guard;
  Signed s;
  auto ok = VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow);
  REQUIRE(ok.ok());
  CHECK(ok->body_sha256 == s.body);
  // The same request again is a replay.
  auto again = VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow);
  CHECK(again.status().code() == Code::kAccessDenied);
  // A fresh nonce is fine.
  s.nonce = std::string(32, 'b');
  s.Sign(kKey);
  CHECK(VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).ok());
}

TEST_CASE("anything altered or signed with another secret is refused", "[node_auth]") {
  ReplayGuard guard;
  {
    Signed s;
    s.Sign(SigningKey("another-secret-0123456789"));
    CHECK(VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).status().code() ==
          Code::kAccessDenied);
  }
  auto altered = [&](auto change) {
    Signed s;
    change(s);  // after signing: the signature no longer covers it
    return VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).status().code();
  };
  CHECK(altered([](Signed& s) { s.method = "PUT"; }) == Code::kAccessDenied);
  CHECK(altered([](Signed& s) { s.target += "&x=1"; }) == Code::kAccessDenied);
  CHECK(altered([](Signed& s) { s.date = "1800000001"; }) == Code::kAccessDenied);
  CHECK(altered([](Signed& s) { s.nonce = std::string(32, 'c'); }) == Code::kAccessDenied);
  CHECK(altered([](Signed& s) { s.body = Sha256Hex("{\"x\":1}"); }) == Code::kAccessDenied);
  CHECK(altered([](Signed& s) { s.body = std::string(kStreamingBody); }) == Code::kAccessDenied);
}

TEST_CASE("dates outside the window are refused, even when signed", "[node_auth]") {
  ReplayGuard guard(std::chrono::seconds(60));
  for (const char* date : {"1799999900", "1800000100", "0"}) {
    Signed s;
    s.date = date;
    s.Sign(kKey);
    CAPTURE(date);
    CHECK(VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).status().code() ==
          Code::kAccessDenied);
  }
  Signed near;
  near.date = "1800000050";
  near.Sign(kKey);
  CHECK(VerifyRequest(kKey, near.method, near.target, near.Headers(), guard, kNow).ok());
}

TEST_CASE("malformed headers are refused before any HMAC", "[node_auth]") {
  ReplayGuard guard;
  auto code = [&](auto change) {
    Signed s;
    change(s);
    return VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).status().code();
  };
  CHECK(code([](Signed& s) { s.authorization.clear(); }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.authorization = "AWS4-HMAC-SHA256 abc"; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.authorization += "00"; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.authorization.back() = 'Z'; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.nonce = "short"; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.nonce = std::string(32, 'G'); }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.date = "-5"; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.date = "12x"; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.date.clear(); }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.body = "not-a-hash"; }) == Code::kAccessDenied);
  CHECK(code([](Signed& s) { s.date = std::string(40, '9'); }) == Code::kAccessDenied);
}

TEST_CASE("a refused request does not use up its nonce", "[node_auth]") {
  ReplayGuard guard;
  Signed s;
  std::string good = s.authorization;
  s.authorization.back() = s.authorization.back() == '0' ? '1' : '0';
  CHECK_FALSE(VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).ok());
  s.authorization = good;
  CHECK(VerifyRequest(kKey, s.method, s.target, s.Headers(), guard, kNow).ok());
}

TEST_CASE("the replay guard forgets nonces only after the window", "[node_auth]") {
  ReplayGuard guard(std::chrono::seconds(60));
  REQUIRE(guard.Check("n1", kNow, kNow).ok());
  CHECK_FALSE(guard.Check("n1", kNow, kNow + std::chrono::seconds(59)).ok());
  // Long after, the old nonce is forgotten, but its date would be refused anyway.
  CHECK_FALSE(guard.Check("n1", kNow, kNow + std::chrono::seconds(200)).ok());
  CHECK(guard.Check("n1", kNow + std::chrono::seconds(200), kNow + std::chrono::seconds(200)).ok());
}

TEST_CASE("a streamed body's closing HMAC binds it to its request", "[node_auth]") {
  std::string sig = RequestSignature(kKey, "PUT", "/internal/v1/shard?id=x", "1", "n",
                                     std::string(kStreamingBody));
  std::string body_hash = Sha256Hex("shard bytes");
  std::string mac = BodySignature(kKey, sig, body_hash);
  CHECK(mac.size() == 64);
  CHECK(mac == BodySignature(kKey, sig, body_hash));
  CHECK(mac != BodySignature(kKey, sig, Sha256Hex("other bytes")));
  CHECK(mac != BodySignature(kKey, std::string(64, '0'), body_hash));
  CHECK(mac != BodySignature(SigningKey("another-secret-0123456789"), sig, body_hash));
}

}  // namespace
}  // namespace strata::gw::node
