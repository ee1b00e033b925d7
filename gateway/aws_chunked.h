// Streaming decoder for "Content-Encoding: aws-chunked" request bodies, the
// framing S3 SDKs use for streaming SigV4 uploads and trailing checksums:
//
//   signed:     <hex size>;chunk-signature=<64 hex>\r\n <data> \r\n  ... repeated
//               0;chunk-signature=<64 hex>\r\n
//               [<trailer name>:<value>\r\n ... x-amz-trailer-signature:<64 hex>\r\n]
//               \r\n
//   unsigned:   <hex size>\r\n <data> \r\n ... 0\r\n [<name>:<value>\r\n ...] \r\n
//
// e.g. botocore's unsigned upload of "hello" with a CRC32 trailer:
//   "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
//
// Chunk i's signature is HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD" \n date
// \n scope \n signature of chunk i-1 (the seed for i = 0) \n hex(SHA256(""))
// \n hex(SHA256(data))); the trailer signature chains from the final (empty)
// chunk's over the trailers' canonical form ("name:value\n" sorted by name).
//
// The decoder is zero-copy: the caller keeps the wire bytes buffered and the
// payload spans it returns point into them. IMPORTANT: a chunk's payload is
// handed out before its signature is verified (that happens when the chunk
// ends, and the trailer's at the very end), so callers must not commit or
// expose anything before Next() reports done.
//
// Thread safety: one decoder per request body; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/status.h"
#include "gateway/auth.h"

namespace strata::gw {

struct AwsChunkedOptions {
  bool signed_chunks = false;   // STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]
  bool expect_trailer = false;  // the *-TRAILER modes: trailers may follow the last chunk
  // From AuthResult (signed modes only).
  std::string signing_key, seed_signature, amz_date, scope;
  size_t max_chunk_size = 16 << 20;     // a larger declared chunk is refused
  size_t max_trailer_bytes = 16 << 10;  // the trailer section, including CRLFs
};

// The options for a body that Authenticate accepted with a streaming payload
// mode; nullopt for the other modes (their bodies are not aws-chunked).
std::optional<AwsChunkedOptions> AwsChunkedOptionsFor(const AuthResult& auth);

class AwsChunkedDecoder {
 public:
  explicit AwsChunkedDecoder(AwsChunkedOptions options);

  struct Step {
    size_t consumed = 0;  // bytes of input to drop before the next call
    ByteSpan data;        // payload bytes, pointing into input; may be empty
    bool done = false;    // the final chunk, trailers and closing CRLF are parsed
  };

  // Feeds the buffered, not yet consumed wire bytes. Call again with the
  // remaining input after dropping `consumed` bytes. A step that consumed
  // only framing has consumed > 0 and empty data: just call again. When it
  // needs more bytes it returns consumed == 0 and empty data. After done, it
  // consumes nothing more (bytes past the body are the caller's).
  // Errors (the decoder then stays failed): kSignatureDoesNotMatch (a chunk
  // or the trailer), kInvalidArgument (malformed framing, oversize chunk or
  // trailer section), kMalformedTrailer (a bad trailer line).
  Result<Step> Next(ByteSpan input);

  // Call when the body's bytes have ended: kIncompleteBody unless done.
  Status Finish() const;

  // Lower-case names, e.g. x-amz-checksum-crc32; excludes the trailer
  // signature. Complete once done.
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  // Payload bytes handed out so far.
  uint64_t decoded_bytes() const { return decoded_bytes_; }

 private:
  enum class State { kChunkHeader, kChunkData, kChunkDataEnd, kTrailer, kDone, kFailed };

  Status Fail(Status status);
  Status ParseChunkHeader(std::string_view line);
  Status VerifyChunk(std::string_view data_sha256_hex);
  Status ParseTrailerLine(std::string_view line);
  Status FinishTrailers();

  AwsChunkedOptions options_;
  State state_ = State::kChunkHeader;
  Status error_;
  uint64_t chunk_remaining_ = 0;
  std::string chunk_signature_;     // claimed signature of the current chunk
  std::string previous_signature_;  // verified signature the next one chains from
  std::optional<Hasher> chunk_hash_;
  size_t trailer_bytes_ = 0;
  std::optional<std::string> trailer_signature_;
  std::vector<std::pair<std::string, std::string>> trailers_;
  uint64_t decoded_bytes_ = 0;
};

}  // namespace strata::gw
