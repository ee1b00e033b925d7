#include "gateway/uri.h"

#include <catch2/catch.hpp>
#include <random>

namespace strata::gw {
namespace {

TEST_CASE("UriEncode keeps unreserved characters and escapes the rest upper-case", "[uri]") {
  CHECK(UriEncode("-._~0123456789AZaz", true) == "-._~0123456789AZaz");
  CHECK(UriEncode("a b+c$d", true) == "a%20b%2Bc%24d");
  CHECK(UriEncode("a/b", true) == "a%2Fb");
  CHECK(UriEncode("a/b", false) == "a/b");
  CHECK(UriEncode("\xE2\x82\xAC", true) == "%E2%82%AC");  // the euro sign
  CHECK(UriEncode(std::string("\0\xff", 2), true) == "%00%FF");
  CHECK(UriEncode("", true).empty());
}

TEST_CASE("UriDecode is strict and keeps '+' in paths", "[uri]") {
  CHECK(*UriDecode("a%20b%2Bc%e2%82%ac") == "a b+c\xE2\x82\xAC");
  CHECK(*UriDecode("a+b") == "a+b");
  CHECK(*UriDecodeQuery("a+b%2B") == "a b+");
  CHECK(*UriDecode("%00") == std::string(1, '\0'));
  for (const char* bad : {"%", "%2", "a%g0", "%0g", "abc%", "%%41"}) {
    INFO(bad);
    auto r = UriDecode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("UriDecode inverts UriEncode on random bytes", "[uri]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    for (bool slash : {true, false}) {
      auto decoded = UriDecode(UriEncode(s, slash));
      REQUIRE(decoded.ok());
      CHECK(*decoded == s);
    }
  }
}

TEST_CASE("ParseQuery decodes, keeps order and marks valueless parameters", "[uri]") {
  auto r = ParseQuery("uploads&prefix=a%2Fb+c&prefix=&&max-keys=2&=v");
  REQUIRE(r.ok());
  const auto& q = *r;
  REQUIRE(q.size() == 5);
  CHECK((q[0].name == "uploads" && !q[0].has_value && q[0].value.empty()));
  CHECK((q[1].name == "prefix" && q[1].has_value && q[1].value == "a/b c"));
  CHECK((q[2].name == "prefix" && q[2].has_value && q[2].value.empty()));
  CHECK((q[3].name == "max-keys" && q[3].value == "2"));
  CHECK((q[4].name.empty() && q[4].value == "v"));
  CHECK(ParseQuery("")->empty());
  CHECK(ParseQuery("&&&")->empty());
  CHECK(ParseQuery("a=%zz").status().code() == Code::kInvalidArgument);
  CHECK(ParseQuery("%4=1").status().code() == Code::kInvalidArgument);
  // Only the first '=' splits.
  auto eq = ParseQuery("a=b=c");
  REQUIRE(eq.ok());
  CHECK((*eq)[0].value == "b=c");
}

}  // namespace
}  // namespace strata::gw
