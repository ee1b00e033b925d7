#include "gateway/aws_chunked.h"

#include <algorithm>
#include <string_view>

#include "gateway/sigv4_internal.h"

namespace strata::gw {
namespace {

// A signed chunk header is about 90 bytes; this bounds what an unsigned
// one's extensions may add, and how long we wait for a CRLF.
constexpr size_t kMaxChunkHeader = 4096;
constexpr std::string_view kChunkSignature = "chunk-signature=";
constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// RFC 9110 token characters.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<AwsChunkedOptions> AwsChunkedOptionsFor(const AuthResult& auth) {
  AwsChunkedOptions options;
  switch (auth.payload) {
    case PayloadMode::kStreamingSigned:
      options.signed_chunks = true;
      break;
    case PayloadMode::kStreamingSignedTrailer:
      options.signed_chunks = true;
      options.expect_trailer = true;
      break;
    case PayloadMode::kStreamingUnsignedTrailer:
      options.expect_trailer = true;
      break;
    default:
      return std::nullopt;
  }
  if (options.signed_chunks) {
    options.signing_key = auth.signing_key;
    options.seed_signature = auth.seed_signature;
    options.amz_date = auth.amz_date;
    options.scope = auth.scope;
  }
  return options;
}

AwsChunkedDecoder::AwsChunkedDecoder(AwsChunkedOptions options)
    : options_(std::move(options)), previous_signature_(options_.seed_signature) {}

Status AwsChunkedDecoder::Fail(Status status) {
  state_ = State::kFailed;
  error_ = status;
  return status;
}

Result<AwsChunkedDecoder::Step> AwsChunkedDecoder::Next(ByteSpan input) {
  std::string_view in = AsChars(input);
  size_t pos = 0;
  while (true) {
    switch (state_) {
      case State::kFailed:
        return error_;
      case State::kDone:
        return Step{pos, {}, true};
      case State::kChunkHeader: {
        std::string_view rest = in.substr(pos);
        size_t crlf = rest.substr(0, kMaxChunkHeader + 2).find("\r\n");
        if (crlf == std::string_view::npos) {
          if (rest.size() >= kMaxChunkHeader + 2) {
            return Fail(Status(Code::kInvalidArgument, "aws-chunked: chunk header too long"));
          }
          return Step{pos, {}, false};
        }
        Status parsed = ParseChunkHeader(rest.substr(0, crlf));
        if (!parsed.ok()) return Fail(parsed);
        pos += crlf + 2;
        break;
      }
      case State::kChunkData: {
        size_t available = in.size() - pos;
        if (available == 0) return Step{pos, {}, false};
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_remaining_, available));
        ByteSpan data = input.subspan(pos, n);
        chunk_remaining_ -= n;
        pos += n;
        if (options_.signed_chunks) {
          chunk_hash_->Update(data);
          if (chunk_remaining_ == 0) {
            Status verified = VerifyChunk(HexEncode(chunk_hash_->Finish()));
            chunk_hash_.reset();
            if (!verified.ok()) return Fail(verified);
          }
        }
        if (chunk_remaining_ == 0) state_ = State::kChunkDataEnd;
        decoded_bytes_ += n;
        return Step{pos, data, false};
      }
      case State::kChunkDataEnd: {
        if (in.size() - pos < 2) return Step{pos, {}, false};
        if (in.substr(pos, 2) != "\r\n") {
          return Fail(
              Status(Code::kInvalidArgument, "aws-chunked: chunk data not followed by CRLF"));
        }
        pos += 2;
        state_ = State::kChunkHeader;
        break;
      }
      case State::kTrailer: {
        std::string_view rest = in.substr(pos);
        size_t budget = options_.max_trailer_bytes - trailer_bytes_;
        size_t crlf = rest.substr(0, budget).find("\r\n");
        if (crlf == std::string_view::npos) {
          if (rest.size() >= budget) {
            return Fail(Status(Code::kInvalidArgument, "aws-chunked: trailer section too large"));
          }
          return Step{pos, {}, false};
        }
        trailer_bytes_ += crlf + 2;
        std::string_view line = rest.substr(0, crlf);
        pos += crlf + 2;
        Status status = line.empty() ? FinishTrailers() : ParseTrailerLine(line);
        if (!status.ok()) return Fail(status);
        if (line.empty()) {
          state_ = State::kDone;
          return Step{pos, {}, true};
        }
        break;
      }
    }
  }
}

Status AwsChunkedDecoder::ParseChunkHeader(std::string_view line) {
  size_t semi = line.find(';');
  std::string_view size_text = line.substr(0, semi);
  std::string_view extension =
      semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
  if (size_text.empty() || size_text.size() > 16) {
    return Status(Code::kInvalidArgument, "aws-chunked: bad chunk size");
  }
  uint64_t size = 0;
  for (char c : size_text) {
    int v = HexValue(c);
    if (v < 0) return Status(Code::kInvalidArgument, "aws-chunked: bad chunk size");
    size = size << 4 | static_cast<uint64_t>(v);
  }
  if (size > options_.max_chunk_size) {
    return Status(Code::kInvalidArgument, "aws-chunked: chunk larger than allowed");
  }
  if (options_.signed_chunks) {
    if (!extension.starts_with(kChunkSignature) ||
        !IsLowerHex64(extension.substr(kChunkSignature.size()))) {
      return Status(Code::kInvalidArgument, "aws-chunked: missing or malformed chunk-signature");
    }
    chunk_signature_ = extension.substr(kChunkSignature.size());
  }
  // Unsigned chunks: any chunk extension is ignored, as HTTP/1.1 chunking allows.
  if (size == 0) {
    if (options_.signed_chunks) STRATA_TRY(VerifyChunk(sigv4::kEmptySha256));
    state_ = State::kTrailer;
    return Status::Ok();
  }
  chunk_remaining_ = size;
  if (options_.signed_chunks) chunk_hash_.emplace(HashAlgorithm::kSha256);
  state_ = State::kChunkData;
  return Status::Ok();
}

Status AwsChunkedDecoder::VerifyChunk(std::string_view data_sha256_hex) {
  std::string expected = sigv4::SignatureHex(
      options_.signing_key, sigv4::ChunkStringToSign(options_.amz_date, options_.scope,
                                                     previous_signature_, data_sha256_hex));
  if (!ConstantTimeEquals(expected, chunk_signature_)) {
    return Status(Code::kSignatureDoesNotMatch,
                  "The chunk signature we calculated does not match the signature you provided.");
  }
  previous_signature_ = std::move(expected);
  return Status::Ok();
}

Status AwsChunkedDecoder::ParseTrailerLine(std::string_view line) {
  if (!options_.expect_trailer) {
    return Status(Code::kInvalidArgument, "aws-chunked: final chunk not followed by CRLF");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status(Code::kMalformedTrailer,
                  "The request contained trailing data that was not "
                  "well-formed or did not conform to our published schema.");
  }
  std::string_view name = line.substr(0, colon);
  std::string_view value = TrimSpaces(line.substr(colon + 1));
  bool bad_name = !std::all_of(name.begin(), name.end(), IsTokenChar);
  bool bad_value = std::any_of(value.begin(), value.end(), [](char c) {
    return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
  });
  if (bad_name || bad_value) {
    return Status(Code::kMalformedTrailer,
                  "The request contained trailing data that was not "
                  "well-formed or did not conform to our published schema.");
  }
  std::string lower = sigv4::ToLower(name);
  if (options_.signed_chunks && lower == kTrailerSignature) {
    if (trailer_signature_) {
      return Status(Code::kMalformedTrailer, "x-amz-trailer-signature is repeated.");
    }
    trailer_signature_ = std::string(value);
    return Status::Ok();
  }
  trailers_.emplace_back(std::move(lower), std::string(value));
  return Status::Ok();
}

Status AwsChunkedDecoder::FinishTrailers() {
  if (!options_.signed_chunks || !options_.expect_trailer) return Status::Ok();
  if (!trailer_signature_) {
    return Status(Code::kSignatureDoesNotMatch, "The trailer is missing x-amz-trailer-signature.");
  }
  std::vector<std::pair<std::string, std::string>> sorted = trailers_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical;
  for (const auto& [name, value] : sorted)
    canonical.append(name).append(":").append(value).append("\n");
  std::string expected = sigv4::SignatureHex(
      options_.signing_key, sigv4::TrailerStringToSign(options_.amz_date, options_.scope,
                                                       previous_signature_, Sha256Hex(canonical)));
  if (!ConstantTimeEquals(expected, *trailer_signature_)) {
    return Status(Code::kSignatureDoesNotMatch,
                  "The trailer signature we calculated does not match the signature you provided.");
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::Finish() const {
  if (state_ == State::kDone) return Status::Ok();
  if (state_ == State::kFailed) return error_;
  return Status(Code::kIncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP "
                "header.");
}

}  // namespace strata::gw
