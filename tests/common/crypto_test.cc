// Digests and HMACs against published vectors (RFC 4231, RFC 2202, FIPS 180),
// including the cases the cached OpenSSL contexts could get wrong: an empty
// key, a key longer than the block, and calls interleaved across threads.
#include "common/crypto.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/encoding.h"

namespace strata {
namespace {

std::string Hex(const std::string& raw) { return HexEncode(raw); }

TEST_CASE("HmacSha256 matches RFC 4231", "[crypto]") {
  CHECK(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(Hex(HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a 131-byte key, longer than SHA-256's block.
  CHECK(Hex(HmacSha256(std::string(131, '\xaa'),
                       "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(Hex(HmacSha256("", "")) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("HmacSha1 matches RFC 2202", "[crypto]") {
  CHECK(Hex(HmacSha1(std::string(20, '\x0b'), "Hi There")) ==
        "b617318655057264e28bc0b6fb378c8ef146be00");
  CHECK(Hex(HmacSha1("Jefe", "what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST_CASE("Digests match FIPS 180 / RFC 1321 vectors", "[crypto]") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(Md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(Hex(Digest(HashAlgorithm::kSha1, AsBytes(std::string_view("abc")))) ==
        "a9993e364706816aba3e25717850c26c9cd0d89d");
  Hasher h(HashAlgorithm::kSha256);
  h.Update("a");
  h.Update("bc");
  CHECK(Hex(h.Finish()) == Sha256Hex("abc"));
}

TEST_CASE("HMACs from many threads at once agree with one thread", "[crypto]") {
  const std::string expected = Hex(HmacSha256("key", "message"));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        // Interleave keys so a context that kept the previous key shows up.
        if (Hex(HmacSha256("other" + std::to_string(i), "x")).empty()) ++mismatches[t];
        if (Hex(HmacSha256("key", "message")) != expected) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("ConstantTimeEquals compares length and bytes", "[crypto]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST_CASE("AES-256-GCM seals and opens, and refuses anything altered", "[crypto]") {
  std::string key(32, '\x42');
  std::string sealed = SealAesGcm(key, "the secret", "alice");
  CHECK(sealed.size() == 12 + 10 + 16);
  CHECK(sealed.find("the secret") == std::string::npos);
  auto opened = OpenAesGcm(key, sealed, "alice");
  REQUIRE(opened.has_value());
  CHECK(*opened == "the secret");
  // A fresh nonce each time: the same plaintext never seals the same.
  CHECK(SealAesGcm(key, "the secret", "alice") != sealed);

  CHECK_FALSE(OpenAesGcm(std::string(32, '\x43'), sealed, "alice").has_value());  // wrong key
  CHECK_FALSE(OpenAesGcm(key, sealed, "bob").has_value());                        // wrong aad
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 1;
    CHECK_FALSE(OpenAesGcm(key, bad, "alice").has_value());
  }
  CHECK_FALSE(OpenAesGcm(key, sealed.substr(0, 27), "alice").has_value());
  CHECK_FALSE(OpenAesGcm(key, "", "alice").has_value());
  CHECK_FALSE(OpenAesGcm("short", sealed, "alice").has_value());
  auto empty = OpenAesGcm(key, SealAesGcm(key, "", ""), "");
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

}  // namespace
}  // namespace strata
