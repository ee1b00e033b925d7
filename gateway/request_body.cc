// The request body stream and its digests.
#include <optional>

#include "common/checksum.h"
#include "common/crypto.h"
#include "gateway/aws_chunked.h"
#include "gateway/handlers.h"

namespace strata::gw {
namespace {

class RequestBody final : public BodySource {
 public:
  RequestBody(Exchange& ex, std::optional<uint64_t> expected, bool chunked,
              AwsChunkedOptions chunk_options, bool want_sha256)
      : ex_(ex), expected_(expected), md5_(HashAlgorithm::kMd5) {
    if (chunked) {
      decoder_.emplace(std::move(chunk_options));
      wire_.resize(256 << 10);
    }
    if (want_sha256) sha256_.emplace(HashAlgorithm::kSha256);
  }

  void AddChecksum(ChecksumAlgorithm algo) {
    for (const auto& c : checksums_) {
      if (c.algorithm() == algo) return;
    }
    checksums_.emplace_back(algo);
  }

  Task<Result<size_t>> Read(MutableByteSpan out) override {
    if (ended_ || out.empty()) co_return size_t{0};
    size_t n = 0;
    if (!decoder_) {
      STRATA_CO_ASSIGN_OR_RETURN(n, co_await ex_.ReadBody(out));
    } else {
      STRATA_CO_ASSIGN_OR_RETURN(n, co_await ReadChunked(out));
    }
    if (n == 0) {
      ended_ = true;
      if (expected_ && total_ != *expected_) {
        co_return Status(Code::kIncompleteBody,
                         "You did not provide the number of bytes specified by the "
                         "Content-Length HTTP header.");
      }
      co_return size_t{0};
    }
    total_ += n;
    if (expected_ && total_ > *expected_) {
      co_return Status(Code::kInvalidArgument, "the body is longer than its declared length");
    }
    ByteSpan got(out.data(), n);
    md5_.Update(got);
    if (sha256_) sha256_->Update(got);
    for (auto& c : checksums_) c.Update(got);
    co_return n;
  }

  uint64_t total() const { return total_; }
  bool ended() const { return ended_; }
  std::string Md5() { return md5_.Finish(); }
  std::optional<std::string> Sha256() {
    if (!sha256_) return std::nullopt;
    return sha256_->Finish();
  }
  std::vector<Checksummer>& checksums() { return checksums_; }
  const std::vector<std::pair<std::string, std::string>>* trailers() const {
    return decoder_ ? &decoder_->trailers() : nullptr;
  }

 private:
  // Decodes aws-chunked framing from the HTTP body into `out`.
  Task<Result<size_t>> ReadChunked(MutableByteSpan out) {
    for (;;) {
      if (pending_.size() > 0) {
        size_t n = std::min(pending_.size(), out.size());
        std::copy_n(pending_.data(), n, out.data());
        pending_ = pending_.subspan(n);
        if (pending_.empty()) Consume(pending_consumed_);
        co_return n;
      }
      if (decoder_done_) co_return size_t{0};
      ByteSpan input(wire_.data() + begin_, end_ - begin_);
      STRATA_CO_ASSIGN_OR_RETURN(auto step, decoder_->Next(input));
      if (step.done) {
        decoder_done_ = true;
        begin_ += step.consumed;
        // Anything after the final chunk is a framing error, unless it is empty.
        continue;
      }
      if (!step.data.empty()) {
        // Hand out the span (it points into wire_); consume once copied out.
        pending_ = step.data;
        pending_consumed_ = step.consumed;
        continue;
      }
      if (step.consumed > 0) {
        begin_ += step.consumed;
        continue;
      }
      // Needs more wire bytes.
      if (begin_ > 0) {
        std::copy(wire_.begin() + begin_, wire_.begin() + end_, wire_.begin());
        end_ -= begin_;
        begin_ = 0;
      }
      if (end_ == wire_.size()) co_return Status(Code::kInvalidArgument, "aws-chunked chunk header too long");
      STRATA_CO_ASSIGN_OR_RETURN(
          size_t n, co_await ex_.ReadBody(MutableByteSpan(wire_.data() + end_, wire_.size() - end_)));
      if (n == 0) co_return Status(Code::kIncompleteBody, "the aws-chunked body ended early");
      end_ += n;
    }
  }

  void Consume(size_t n) { begin_ += n; }

  Exchange& ex_;
  std::optional<uint64_t> expected_;
  Hasher md5_;
  std::optional<Hasher> sha256_;
  std::vector<Checksummer> checksums_;
  uint64_t total_ = 0;
  bool ended_ = false;

  std::optional<AwsChunkedDecoder> decoder_;
  std::vector<std::byte> wire_;
  size_t begin_ = 0, end_ = 0;
  ByteSpan pending_;
  size_t pending_consumed_ = 0;
  bool decoder_done_ = false;
};

Result<uint64_t> ParseLength(std::string_view s) {
  if (s.empty() || s.size() > 19) return Status(Code::kInvalidArgument, "bad length");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Status(Code::kInvalidArgument, "bad length");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

Result<std::unique_ptr<BodySource>> MakeRequestBody(RequestContext& ctx,
                                                    std::optional<uint64_t>* decoded_length) {
  const PayloadMode mode = ctx.auth.payload;
  bool streaming = mode == PayloadMode::kStreamingSigned ||
                   mode == PayloadMode::kStreamingSignedTrailer ||
                   mode == PayloadMode::kStreamingUnsignedTrailer;
  std::optional<uint64_t> length;
  if (streaming) {
    auto decoded = ctx.Header("x-amz-decoded-content-length");
    if (!decoded.empty()) {
      STRATA_ASSIGN_OR_RETURN(length, ParseLength(decoded));
    } else if (mode != PayloadMode::kStreamingUnsignedTrailer) {
      return Status(Code::kMissingContentLength);
    }
  } else if (auto cl = ctx.req().find(http::field::content_length); cl != ctx.req().end()) {
    STRATA_ASSIGN_OR_RETURN(length, ParseLength(cl->value()));
  } else if (ctx.Header("transfer-encoding").empty()) {
    return Status(Code::kMissingContentLength);
  }
  if (length && *length > ctx.options.max_object_size) return Status(Code::kEntityTooLarge);
  AwsChunkedOptions chunk;
  chunk.signed_chunks = mode == PayloadMode::kStreamingSigned ||
                        mode == PayloadMode::kStreamingSignedTrailer;
  chunk.expect_trailer = mode == PayloadMode::kStreamingSignedTrailer ||
                         mode == PayloadMode::kStreamingUnsignedTrailer;
  chunk.signing_key = ctx.auth.signing_key;
  chunk.seed_signature = ctx.auth.seed_signature;
  chunk.amz_date = ctx.auth.amz_date;
  chunk.scope = ctx.auth.scope;
  auto body = std::make_unique<RequestBody>(ctx.ex, length, streaming, std::move(chunk),
                                            mode == PayloadMode::kSignedHash);
  // Checksums the client announced, up front or as a trailer.
  for (const auto& field : ctx.req()) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto algo = ChecksumFromHeader(name)) body->AddChecksum(*algo);
  }
  auto trailer = ctx.Header("x-amz-trailer");
  if (!trailer.empty()) {
    std::string name(trailer);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto algo = ChecksumFromHeader(name);
    if (!algo) return Status(Code::kInvalidArgument, "unsupported x-amz-trailer");
    body->AddChecksum(*algo);
  }
  auto sdk_algo = ctx.Header("x-amz-sdk-checksum-algorithm");
  if (!sdk_algo.empty()) {
    auto algo = ParseChecksumAlgorithm(sdk_algo);
    if (!algo) return Status(Code::kInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.");
    body->AddChecksum(*algo);
  }
  if (decoded_length) *decoded_length = length;
  return std::unique_ptr<BodySource>(std::move(body));
}

Status FinishBody(RequestContext& ctx, BodySource& source, meta::VersionRecord& record) {
  auto& body = static_cast<RequestBody&>(source);
  if (!body.ended()) return Status(Code::kInternal, "body not consumed");
  std::string md5 = body.Md5();
  if (auto sha = body.Sha256()) {
    if (HexEncode(*sha) != ctx.auth.payload_sha256_hex) {
      return Status(Code::kXAmzContentSHA256Mismatch);
    }
  }
  auto content_md5 = ctx.Header("content-md5");
  if (!content_md5.empty()) {
    auto want = Base64Decode(content_md5);
    if (!want || want->size() != 16) return Status(Code::kInvalidDigest);
    if (!ConstantTimeEquals(*want, md5)) return Status(Code::kBadDigest);
  }
  record.etag = HexEncode(md5);
  record.checksums.clear();
  for (auto& c : body.checksums()) {
    std::string name(ChecksumHeader(c.algorithm()));
    std::string value = Base64Encode(c.Finish());
    std::string_view sent = ctx.Header(name);
    if (sent.empty() && body.trailers()) {
      for (const auto& [k, v] : *body.trailers()) {
        if (k == name) sent = v;
      }
    }
    if (!sent.empty() && sent != value) {
      return Status(Code::kBadDigest, "The " + std::string(ChecksumName(c.algorithm())) +
                                          " you specified did not match the calculated checksum.");
    }
    record.checksums.emplace_back(std::string(ChecksumName(c.algorithm())), value);
    record.checksum_type = "FULL_OBJECT";
  }
  return Status();
}

Task<Result<std::string>> ReadSmallBody(RequestContext& ctx, size_t max_bytes) {
  std::optional<uint64_t> length;
  STRATA_CO_ASSIGN_OR_RETURN(auto body, MakeRequestBody(ctx, &length));
  if (length && *length > max_bytes) co_return Status(Code::kMaxMessageLengthExceeded);
  std::string out;
  std::string buf(16 << 10, '\0');
  for (;;) {
    STRATA_CO_ASSIGN_OR_RETURN(
        size_t n, co_await body->Read(MutableByteSpan(reinterpret_cast<std::byte*>(buf.data()),
                                                      buf.size())));
    if (n == 0) break;
    out.append(buf.data(), n);
    if (out.size() > max_bytes) co_return Status(Code::kMaxMessageLengthExceeded);
  }
  meta::VersionRecord scratch;
  STRATA_CO_TRY(FinishBody(ctx, *body, scratch));
  co_return out;
}

}  // namespace strata::gw
