#include "gateway/aws_chunked.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "gateway/sigv4_internal.h"

namespace strata::gw {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kDate = "20130524T000000Z";
constexpr std::string_view kScope = "20130524/us-east-1/s3/aws4_request";

AwsChunkedOptions SignedOptions(std::string seed, bool trailer) {
  AwsChunkedOptions o;
  o.signed_chunks = true;
  o.expect_trailer = trailer;
  o.signing_key = sigv4::SigningKey(kSecret, "20130524", "us-east-1", "s3");
  o.seed_signature = std::move(seed);
  o.amz_date = kDate;
  o.scope = kScope;
  return o;
}

AwsChunkedOptions UnsignedTrailerOptions() {
  AwsChunkedOptions o;
  o.expect_trailer = true;
  return o;
}

struct Decoded {
  Status status;
  std::string data;
  bool done = false;
};

// Feeds `wire` the way a session would: appends pieces of the sizes
// `piece()` returns to a buffer, drops what each step consumed.
Decoded Decode(AwsChunkedDecoder& decoder, std::string_view wire,
               const std::function<size_t()>& piece) {
  std::string buffer;
  size_t fed = 0;
  Decoded out;
  while (true) {
    auto step = decoder.Next(AsBytes(buffer));
    if (!step.ok()) {
      out.status = step.status();
      return out;
    }
    out.data.append(AsChars(step->data));
    buffer.erase(0, step->consumed);
    if (step->done) {
      out.done = true;
      return out;
    }
    if (step->consumed == 0 && step->data.empty()) {
      if (fed == wire.size()) {
        out.status = decoder.Finish();
        return out;
      }
      size_t n = std::min(std::max<size_t>(piece(), 1), wire.size() - fed);
      buffer.append(wire.substr(fed, n));
      fed += n;
    }
  }
}

Decoded DecodeAll(AwsChunkedOptions options, std::string_view wire) {
  AwsChunkedDecoder d(std::move(options));
  return Decode(d, wire, [&] { return wire.size(); });
}

// The body of the AWS "Transferring Payload in Multiple Chunks" example:
// 66560 bytes of 'a' in chunks of 65536, 1024 and 0 bytes.
std::string AwsExampleBody(std::string_view sig1, std::string_view sig2, std::string_view sig3) {
  std::string body = "10000;chunk-signature=" + std::string(sig1) + "\r\n";
  body.append(65536, 'a').append("\r\n");
  body.append("400;chunk-signature=").append(sig2).append("\r\n");
  body.append(1024, 'a').append("\r\n");
  body.append("0;chunk-signature=").append(sig3).append("\r\n");
  return body;
}

constexpr std::string_view kSeed =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr std::string_view kSig1 =
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr std::string_view kSig2 =
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr std::string_view kSig3 =
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

TEST_CASE("aws-chunked: the AWS signed example, all at once and byte by byte", "[aws_chunked]") {
  std::string wire = AwsExampleBody(kSig1, kSig2, kSig3) + "\r\n";
  REQUIRE(wire.size() == 66824);  // the example's Content-Length
  for (size_t piece : {wire.size(), size_t{1}, size_t{7}, size_t{4096}}) {
    INFO(piece);
    AwsChunkedDecoder d(SignedOptions(std::string(kSeed), false));
    Decoded out = Decode(d, wire, [&] { return piece; });
    REQUIRE(out.status.ok());
    CHECK(out.done);
    CHECK(out.data == std::string(66560, 'a'));
    CHECK(d.decoded_bytes() == 66560);
    CHECK(d.Finish().ok());
    CHECK(d.trailers().empty());
  }
}

TEST_CASE("aws-chunked: zero-copy spans and bytes after the body", "[aws_chunked]") {
  std::string wire = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\nNEXT";
  AwsChunkedDecoder d(UnsignedTrailerOptions());
  auto step = d.Next(AsBytes(wire));
  REQUIRE(step.ok());
  CHECK(step->consumed == 8);
  CHECK(AsChars(step->data) == "hello");
  CHECK(reinterpret_cast<const char*>(step->data.data()) == wire.data() + 3);  // into the input
  std::string_view rest = std::string_view(wire).substr(step->consumed);
  step = d.Next(AsBytes(rest));
  REQUIRE(step.ok());
  CHECK(step->done);
  CHECK(rest.substr(step->consumed) == "NEXT");  // the next request's bytes are left alone
  step = d.Next(AsBytes(rest.substr(step->consumed)));
  REQUIRE(step.ok());
  CHECK((step->done && step->consumed == 0));
}

TEST_CASE("aws-chunked: the AWS signed example fails on any tampering", "[aws_chunked]") {
  auto options = [] { return SignedOptions(std::string(kSeed), false); };
  std::string wire = AwsExampleBody(kSig1, kSig2, kSig3) + "\r\n";

  std::string bad_sig2 = AwsExampleBody(kSig1, std::string(63, '0') + "1", kSig3) + "\r\n";
  AwsChunkedDecoder d(options());
  Decoded out = Decode(d, bad_sig2, [] { return 1000; });
  CHECK(out.status.code() == Code::kSignatureDoesNotMatch);
  // Chunk 1 was handed out before chunk 2 failed: callers must wait for done.
  CHECK(out.data.size() >= 65536);
  CHECK(out.data.size() < 66560);
  CHECK(d.Finish().code() == Code::kSignatureDoesNotMatch);  // stays failed
  CHECK(d.Next(AsBytes(std::string_view("0\r\n\r\n"))).status().code() ==
        Code::kSignatureDoesNotMatch);

  std::string flipped = wire;
  flipped[200] = 'b';  // a payload byte of chunk 1
  CHECK(DecodeAll(options(), flipped).status.code() == Code::kSignatureDoesNotMatch);
  // Reordered or wrong-seeded chains do not verify either.
  CHECK(DecodeAll(SignedOptions(std::string(kSig1), false), wire).status.code() ==
        Code::kSignatureDoesNotMatch);
  std::string bad_final = AwsExampleBody(kSig1, kSig2, kSig2) + "\r\n";
  CHECK(DecodeAll(options(), bad_final).status.code() == Code::kSignatureDoesNotMatch);
  std::string upper = AwsExampleBody(
      kSig1, "0055627C9E194CB4542BAE2AA5492E3C1575BBB81B612B7D234B86A503EF5497", kSig3);
  CHECK(DecodeAll(options(), upper + "\r\n").status.code() == Code::kInvalidArgument);
  std::string unsigned_chunk = "10000\r\n" + wire.substr(wire.find("\r\n") + 2);
  CHECK(DecodeAll(options(), unsigned_chunk).status.code() == Code::kInvalidArgument);
}

TEST_CASE("aws-chunked: truncated bodies are incomplete", "[aws_chunked]") {
  std::string wire = AwsExampleBody(kSig1, kSig2, kSig3) + "\r\n";
  for (size_t cut : {size_t{0}, size_t{5}, size_t{90}, size_t{30000}, wire.size() - 86,
                     wire.size() - 2, wire.size() - 1}) {
    INFO(cut);
    Decoded out = DecodeAll(SignedOptions(std::string(kSeed), false), wire.substr(0, cut));
    CHECK(out.status.code() == Code::kIncompleteBody);
    CHECK_FALSE(out.done);
  }
}

TEST_CASE("aws-chunked: malformed framing", "[aws_chunked]") {
  auto code = [](std::string wire, AwsChunkedOptions o = UnsignedTrailerOptions()) {
    Decoded out = DecodeAll(std::move(o), wire);
    return out.status.code();
  };
  CHECK(code("zz\r\nhello\r\n0\r\n\r\n") == Code::kInvalidArgument);  // garbage hex
  CHECK(code("\r\nhello\r\n0\r\n\r\n") == Code::kInvalidArgument);    // empty size
  CHECK(code(" 5\r\nhello\r\n0\r\n\r\n") == Code::kInvalidArgument);  // whitespace
  CHECK(code("-5\r\nhello\r\n0\r\n\r\n") == Code::kInvalidArgument);
  CHECK(code("5\r\nhelloXX0\r\n\r\n") == Code::kInvalidArgument);  // missing CRLF
  CHECK(code("5\r\nhello\n0\r\n\r\n") == Code::kInvalidArgument);
  CHECK(code("1000001\r\n") == Code::kInvalidArgument);            // > 16 MiB
  CHECK(code("ffffffffffffffff\r\n") == Code::kInvalidArgument);   // 2^64 - 1
  CHECK(code("10000000000000005\r\n") == Code::kInvalidArgument);  // 17 digits
  CHECK(code(std::string(5000, '1')) == Code::kInvalidArgument);   // no CRLF, ever
  CHECK(code("5;" + std::string(5000, 'x') + "\r\n") == Code::kInvalidArgument);
  AwsChunkedOptions small = UnsignedTrailerOptions();
  small.max_chunk_size = 4;
  CHECK(code("5\r\nhello\r\n0\r\n\r\n", small) == Code::kInvalidArgument);
  // Chunk extensions are ignored on unsigned chunks.
  Decoded ext = DecodeAll(UnsignedTrailerOptions(), "5;name=value\r\nhello\r\n0\r\n\r\n");
  CHECK((ext.done && ext.data == "hello"));
  // Upper-case hex sizes and leading zeros are fine.
  Decoded hex = DecodeAll(UnsignedTrailerOptions(), "000A\r\n0123456789\r\n0\r\n\r\n");
  CHECK((hex.done && hex.data == "0123456789"));
  // Without a trailer mode, the final chunk must be followed by CRLF.
  AwsChunkedOptions plain;
  CHECK(code("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", plain) ==
        Code::kInvalidArgument);
  Decoded none = DecodeAll(plain, "5\r\nhello\r\n0\r\n\r\n");
  CHECK((none.done && none.data == "hello"));
}

TEST_CASE("aws-chunked: unsigned payload with a trailing checksum, as botocore sends it",
          "[aws_chunked]") {
  std::string wire = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
  for (size_t piece : {wire.size(), size_t{1}, size_t{3}}) {
    AwsChunkedDecoder d(UnsignedTrailerOptions());
    Decoded out = Decode(d, wire, [&] { return piece; });
    REQUIRE(out.status.ok());
    CHECK(out.done);
    CHECK(out.data == "hello");
    REQUIRE(d.trailers().size() == 1);
    CHECK(d.trailers()[0].first == "x-amz-checksum-crc32");
    CHECK(d.trailers()[0].second == "NhCmhg==");
  }
  // Several trailers, names lower-cased, values trimmed; no trailers at all.
  AwsChunkedDecoder d(UnsignedTrailerOptions());
  Decoded out =
      Decode(d, "3\r\nabc\r\n0\r\nX-Amz-Checksum-CRC32C: AAAAAA==\r\nx-amz-meta-a:\t1 \r\n\r\n",
             [] { return 100; });
  REQUIRE(out.done);
  REQUIRE(d.trailers().size() == 2);
  CHECK(d.trailers()[0] ==
        std::pair<std::string, std::string>("x-amz-checksum-crc32c", "AAAAAA=="));
  CHECK(d.trailers()[1] == std::pair<std::string, std::string>("x-amz-meta-a", "1"));
  CHECK(DecodeAll(UnsignedTrailerOptions(), "0\r\n\r\n").done);
}

TEST_CASE("aws-chunked: bad trailers", "[aws_chunked]") {
  auto code = [](std::string wire, AwsChunkedOptions o = UnsignedTrailerOptions()) {
    return DecodeAll(std::move(o), wire).status.code();
  };
  CHECK(code("0\r\nno-colon\r\n\r\n") == Code::kMalformedTrailer);
  CHECK(code("0\r\n:value\r\n\r\n") == Code::kMalformedTrailer);
  CHECK(code("0\r\nbad name:v\r\n\r\n") == Code::kMalformedTrailer);
  CHECK(code(std::string("0\r\nname:v\x01\r\n\r\n")) == Code::kMalformedTrailer);
  AwsChunkedOptions small = UnsignedTrailerOptions();
  small.max_trailer_bytes = 32;
  CHECK(code("0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", small) == Code::kInvalidArgument);
  CHECK(code("0\r\n" + std::string(100, 'a'), small) == Code::kInvalidArgument);  // no CRLF
  CHECK(code("0\r\n" + std::string(20000, 'a') + ":b\r\n\r\n") == Code::kInvalidArgument);
}

// The AWS "Signature calculations for trailing headers" example: the same
// object with a CRC32C trailer under STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.
constexpr std::string_view kTrailerSeed =
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
std::string AwsTrailerExample(std::string_view trailer, std::string_view trailer_sig) {
  std::string body =
      AwsExampleBody("b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
                     "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
                     "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992");
  body.append(trailer).append("\r\n");
  if (!trailer_sig.empty())
    body.append("x-amz-trailer-signature:").append(trailer_sig).append("\r\n");
  return body + "\r\n";
}
constexpr std::string_view kTrailerSig =
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

TEST_CASE("aws-chunked: the AWS signed-trailer example", "[aws_chunked]") {
  std::string wire = AwsTrailerExample("x-amz-checksum-crc32c:sOO8/Q==", kTrailerSig);
  for (size_t piece : {wire.size(), size_t{1}, size_t{13}}) {
    AwsChunkedDecoder d(SignedOptions(std::string(kTrailerSeed), true));
    Decoded out = Decode(d, wire, [&] { return piece; });
    REQUIRE(out.status.ok());
    CHECK(out.done);
    CHECK(out.data == std::string(66560, 'a'));
    REQUIRE(d.trailers().size() == 1);  // the signature is not a trailer
    CHECK(d.trailers()[0].first == "x-amz-checksum-crc32c");
    CHECK(d.trailers()[0].second == "sOO8/Q==");
  }
  auto code = [](std::string w) {
    return DecodeAll(SignedOptions(std::string(kTrailerSeed), true), w).status.code();
  };
  CHECK(code(AwsTrailerExample("x-amz-checksum-crc32c:sOO8/Q=A", kTrailerSig)) ==
        Code::kSignatureDoesNotMatch);
  CHECK(code(AwsTrailerExample("x-amz-checksum-crc32:sOO8/Q==", kTrailerSig)) ==
        Code::kSignatureDoesNotMatch);
  CHECK(code(AwsTrailerExample("x-amz-checksum-crc32c:sOO8/Q==", "")) ==
        Code::kSignatureDoesNotMatch);  // signature missing
  std::string twice = AwsTrailerExample("x-amz-checksum-crc32c:sOO8/Q==", kTrailerSig);
  twice.insert(twice.size() - 2, "x-amz-trailer-signature:" + std::string(kTrailerSig) + "\r\n");
  CHECK(code(twice) == Code::kMalformedTrailer);
}

// Builds signed aws-chunked bodies with our own signer, for the property tests.
std::string SignedBody(std::string_view seed, const std::vector<std::string>& chunks) {
  std::string key = sigv4::SigningKey(kSecret, "20130524", "us-east-1", "s3");
  std::string prev(seed), body;
  auto sign = [&](std::string_view data) {
    prev = sigv4::SignatureHex(key, sigv4::ChunkStringToSign(kDate, kScope, prev, Sha256Hex(data)));
    return prev;
  };
  char size[32];
  for (const std::string& c : chunks) {
    std::snprintf(size, sizeof size, "%zx", c.size());
    body.append(size)
        .append(";chunk-signature=")
        .append(sign(c))
        .append("\r\n")
        .append(c)
        .append("\r\n");
  }
  body.append("0;chunk-signature=").append(sign("")).append("\r\n\r\n");
  return body;
}

TEST_CASE("aws-chunked: fuzzed input never crashes and never forges a payload",
          "[aws_chunked][fuzz]") {
  std::mt19937 rng(20240611);
  std::string seed(kSeed);
  std::vector<std::string> chunks = {"hello world", std::string(300, 'z'), "\r\n0\r\n\r\n", "!"};
  std::string payload;
  for (const auto& c : chunks) payload += c;
  std::string wire = SignedBody(seed, chunks);
  {
    Decoded clean = DecodeAll(SignedOptions(seed, false), wire);
    REQUIRE(clean.status.ok());
    REQUIRE(clean.data == payload);
  }
  for (int i = 0; i < 600; ++i) {
    std::string mutated = wire;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % mutated.size();
      switch (rng() % 3) {
        case 0:
          mutated[at] = static_cast<char>(rng());
          break;
        case 1:
          mutated.erase(at, 1 + rng() % 4);
          break;
        default:
          mutated.insert(at, 1, "0\r\n;:a"[rng() % 7]);
          break;
      }
      if (mutated.empty()) mutated = "x";
    }
    AwsChunkedDecoder d(SignedOptions(seed, false));
    Decoded out = Decode(d, mutated, [&] { return 1 + rng() % 64; });
    if (out.done) CHECK(out.data == payload);  // integrity: a completed body is the signed one
  }
  // Unsigned trailer mode and random bytes: only safety to check.
  for (int i = 0; i < 400; ++i) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = "0123456789abcdefAF;=:\r\n xz-"[rng() % 28];
    AwsChunkedDecoder d(UnsignedTrailerOptions());
    Decoded out = Decode(d, junk, [&] { return 1 + rng() % 16; });
    CHECK(out.data.size() <= junk.size());
    CHECK(d.decoded_bytes() == out.data.size());
  }
}

TEST_CASE("aws-chunked: options from an AuthResult", "[aws_chunked]") {
  AuthResult auth;
  auth.payload = PayloadMode::kSignedHash;
  CHECK_FALSE(AwsChunkedOptionsFor(auth).has_value());
  auth.payload = PayloadMode::kStreamingUnsignedTrailer;
  auto o = AwsChunkedOptionsFor(auth);
  REQUIRE(o.has_value());
  CHECK((!o->signed_chunks && o->expect_trailer));
  auth.payload = PayloadMode::kStreamingSigned;
  auth.signing_key = sigv4::SigningKey(kSecret, "20130524", "us-east-1", "s3");
  auth.seed_signature = kSeed;
  auth.amz_date = kDate;
  auth.scope = kScope;
  o = AwsChunkedOptionsFor(auth);
  REQUIRE(o.has_value());
  CHECK((o->signed_chunks && !o->expect_trailer));
  Decoded out = DecodeAll(*o, AwsExampleBody(kSig1, kSig2, kSig3) + "\r\n");
  CHECK((out.done && out.data.size() == 66560));
}

}  // namespace
}  // namespace strata::gw
