// Object operations: PUT, GET/HEAD (ranges, conditionals, overrides), DELETE, COPY.
#include <charconv>

#include "common/checksum.h"
#include "common/crypto.h"
#include "common/timefmt.h"
#include "gateway/handlers.h"
#include "gateway/xml.h"

namespace strata::gw {

namespace {

constexpr uint64_t kMaxSinglePut = 5ull << 30;  // S3: 5 GiB per PUT / copy
constexpr size_t kWholeResponseMax = 128 << 10;  // smaller GETs go out in one write

struct ByteRange {
  uint64_t first = 0, length = 0;
};

// Parses "bytes=a-b", "bytes=a-", "bytes=-n". Syntax S3 does not accept is
// ignored (the whole object is sent); a range past the end is InvalidRange.
Result<std::optional<ByteRange>> ParseRange(std::string_view h, uint64_t size) {
  if (h.empty()) return std::optional<ByteRange>();
  if (!h.starts_with("bytes=")) return std::optional<ByteRange>();
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  auto num = [](std::string_view s, uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  std::string_view a = h.substr(0, dash), b = h.substr(dash + 1);
  uint64_t first = 0, last = 0;
  if (a.empty()) {
    if (!num(b, last)) return std::optional<ByteRange>();
    if (last == 0 || size == 0) return Status(Code::kInvalidRange);
    uint64_t n = std::min(last, size);
    return std::optional<ByteRange>(ByteRange{size - n, n});
  }
  if (!num(a, first)) return std::optional<ByteRange>();
  if (b.empty()) {
    last = size ? size - 1 : 0;
  } else if (!num(b, last) || last < first) {
    return std::optional<ByteRange>();
  }
  if (first >= size) return Status(Code::kInvalidRange);
  last = std::min(last, size - 1);
  return std::optional<ByteRange>(ByteRange{first, last - first + 1});
}

class StringSink final : public BodySink {
 public:
  explicit StringSink(size_t length) { data.reserve(length); }
  std::string data;
  Task<Status> Write(ByteSpan bytes) override {
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    co_return Status();
  }
};

// Sends the response header with the first body bytes, so a read that fails
// before it has anything (the first stripe) still answers with an S3 error.
// After that a failure can only close the connection (a short body).
class StreamSink final : public BodySink {
 public:
  StreamSink(Exchange& ex, http::response_header<> header, uint64_t length)
      : ex_(ex), header_(std::move(header)), length_(length) {}
  Task<Status> Write(ByteSpan bytes) override {
    if (!started_) {
      started_ = true;
      STRATA_CO_TRY(co_await ex_.StartStream(std::move(header_), length_));
    }
    co_return co_await ex_.WriteStream(bytes);
  }
  bool started() const { return started_; }

 private:
  Exchange& ex_;
  http::response_header<> header_;
  uint64_t length_;
  bool started_ = false;
};

void SetObjectHeaders(const RequestContext& ctx, const meta::VersionRecord& rec,
                      http::response_header<>& h) {
  h.set(http::field::etag, QuotedEtag(rec.etag));
  h.set(http::field::last_modified, FormatHttpDate(rec.mtime));
  h.set(http::field::accept_ranges, "bytes");
  bool has_type = false;
  for (const auto& [name, value] : rec.headers) {
    if (name == "content-type") has_type = true;
    h.set(name, value);
  }
  if (!has_type) h.set(http::field::content_type, "binary/octet-stream");
  if (!rec.storage_class.empty() && rec.storage_class != "STANDARD") {
    h.set("x-amz-storage-class", rec.storage_class);
  }
  if (!rec.tags.empty()) h.set("x-amz-tagging-count", std::to_string(rec.tags.size()));
  // response-* overrides (only on authenticated requests, which all are).
  static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (const auto& [param, header] : kOverrides) {
    if (auto q = ctx.Query(param)) h.set(header, q->value);
  }
}

}  // namespace

Task<Status> PutObject(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto headers, MetadataFromRequest(ctx));
  std::optional<uint64_t> length;
  STRATA_CO_ASSIGN_OR_RETURN(auto body, MakeRequestBody(ctx, &length));
  if (length && *length > kMaxSinglePut) co_return Status(Code::kEntityTooLarge);
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  PutObjectArgs args;
  STRATA_CO_ASSIGN_OR_RETURN(args.lock, LockFromHeaders(ctx, bucket, ctx.options.clock->Now()));
  args.bucket = ctx.bucket;
  args.key = ctx.key;
  args.size = length;
  args.headers = std::move(headers);
  STRATA_CO_ASSIGN_OR_RETURN(args.tags, TagsFromHeader(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(args.storage_class, StorageClassFromHeader(ctx));
  BodySource& source = *body;
  STRATA_CO_ASSIGN_OR_RETURN(
      auto record,
      co_await ctx.objects().PutObject(
          std::move(args), source,
          [&ctx, &source](uint64_t, meta::VersionRecord& rec) { return FinishBody(ctx, source, rec); }));
  auto res = ctx.Response(http::status::ok);
  res.set(http::field::etag, QuotedEtag(record.etag));
  for (const auto& [algo, value] : record.checksums) {
    if (auto a = ParseChecksumAlgorithm(algo)) res.set(ChecksumHeader(*a), value);
  }
  co_await SetVersionHeader(ctx, record, res);
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> GetObject(RequestContext& ctx, bool head) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  if (ctx.HasQuery("partNumber")) co_return Status(Code::kNotImplemented);
  auto found = co_await ctx.objects().HeadObject(ctx.bucket, ctx.key, ref);
  if (!found.ok()) {
    if (found.status().code() == Code::kNoSuchKey || found.status().code() == Code::kNoSuchVersion) {
      STRATA_CO_TRY(co_await RequireBucket(ctx));
    }
    co_return found.status();
  }
  const meta::VersionRecord& rec = *found;
  if (rec.delete_marker) {
    // The latest version is a marker: the object is gone (404); a marker named
    // by id has no bytes to give (405). Either way the client learns it is one.
    ctx.error_headers.emplace_back("x-amz-delete-marker", "true");
    ctx.error_headers.emplace_back("x-amz-version-id", S3VersionId(rec));
    if (!ref.latest()) ctx.error_headers.emplace_back("Last-Modified", FormatHttpDate(rec.mtime));
    co_return Status(ref.latest() ? Code::kNoSuchKey : Code::kMethodNotAllowed);
  }
  Status cond = CheckConditions(ctx, rec, "");
  if (cond.code() == Code::kNotModified) {
    auto res = ctx.Response(http::status::not_modified);
    res.set(http::field::etag, QuotedEtag(rec.etag));
    res.set(http::field::last_modified, FormatHttpDate(rec.mtime));
    co_return co_await ctx.ex.Send(std::move(res));
  }
  STRATA_CO_TRY(cond);
  auto range = ParseRange(ctx.Header("range"), rec.size);
  if (!range.ok()) co_return range.status();

  http::response_header<> h;
  h.result(range->has_value() ? http::status::partial_content : http::status::ok);
  h.version(11);
  h.set("x-amz-request-id", ctx.request_id);
  SetObjectHeaders(ctx, rec, h);
  SetLockHeaders(rec, h);
  co_await SetVersionHeader(ctx, rec, h);
  uint64_t first = 0, length = rec.size;
  if (range->has_value()) {
    first = (*range)->first;
    length = (*range)->length;
    h.set(http::field::content_range, "bytes " + std::to_string(first) + "-" +
                                          std::to_string(first + length - 1) + "/" +
                                          std::to_string(rec.size));
  } else if (boost::beast::iequals(ctx.Header("x-amz-checksum-mode"), "ENABLED")) {
    for (const auto& [algo, value] : rec.checksums) {
      if (auto a = ParseChecksumAlgorithm(algo)) h.set(ChecksumHeader(*a), value);
    }
    if (!rec.checksum_type.empty()) h.set("x-amz-checksum-type", rec.checksum_type);
  }
  if (head) {
    http::response<http::string_body> res(std::move(h));
    res.content_length(length);
    co_return co_await ctx.ex.Send(std::move(res));
  }
  if (length <= kWholeResponseMax) {
    StringSink sink(length);
    STRATA_CO_TRY(co_await ctx.objects().ReadObject(ctx.bucket, ctx.key, rec, first, length, sink));
    http::response<http::string_body> res(std::move(h));
    res.body() = std::move(sink.data);
    res.prepare_payload();
    co_return co_await ctx.ex.Send(std::move(res));
  }
  // Larger: stripe by stripe, straight from the shard buffers.
  StreamSink sink(ctx.ex, std::move(h), length);
  STRATA_CO_TRY(co_await ctx.objects().ReadObject(ctx.bucket, ctx.key, rec, first, length, sink));
  if (!sink.started()) co_return Status(Code::kInternal, "object read produced no bytes");
  co_return co_await ctx.ex.FinishStream();
}

Task<Status> DeleteObject(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(VersionRef ref, RequestedVersion(ctx));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(
      DeleteResult done,
      co_await ctx.objects().DeleteObject(ctx.bucket, ctx.key, ref, BypassGovernance(ctx)));
  auto res = ctx.Response(http::status::no_content);
  if (done.delete_marker) res.set("x-amz-delete-marker", "true");
  if (!done.version_id.empty()) res.set("x-amz-version-id", done.version_id);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> CopyObject(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(CopySource src, ParseCopySource(ctx.Header("x-amz-copy-source")));
  VersionRef src_ref;
  if (!src.version_id.empty()) {
    STRATA_CO_ASSIGN_OR_RETURN(src_ref, ParseVersionId(src.version_id));
  }
  std::string tagging_directive(ctx.Header("x-amz-tagging-directive"));
  if (tagging_directive.empty()) tagging_directive = "COPY";
  if (tagging_directive != "COPY" && tagging_directive != "REPLACE") {
    co_return Status(Code::kInvalidArgument, "Unknown tagging directive.");
  }
  STRATA_CO_ASSIGN_OR_RETURN(meta::StringPairs new_tags, TagsFromHeader(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto target, co_await ctx.objects().GetBucket(ctx.bucket));
  STRATA_CO_ASSIGN_OR_RETURN(LockState lock, LockFromHeaders(ctx, target, ctx.options.clock->Now()));
  auto found = co_await ctx.objects().HeadObject(src.bucket, src.key, src_ref);
  if (!found.ok()) {
    if (found.status().code() == Code::kNoSuchKey || found.status().code() == Code::kNoSuchVersion) {
      auto b = co_await ctx.objects().GetBucket(src.bucket);
      if (!b.ok()) co_return b.status();
    }
    co_return found.status();
  }
  meta::VersionRecord source = std::move(*found);
  if (source.delete_marker) {
    if (src_ref.latest()) co_return Status(Code::kNoSuchKey);
    co_return Status(Code::kInvalidRequest, "The source of a copy request may not specifically "
                                            "refer to a delete marker by version id.");
  }
  STRATA_CO_TRY(CheckConditions(ctx, source, "x-amz-copy-source-"));
  if (source.size > kMaxSinglePut) {
    co_return Status(Code::kInvalidRequest, "The specified copy source is larger than the maximum "
                                            "allowable size for a copy source: 5368709120");
  }
  std::string directive(ctx.Header("x-amz-metadata-directive"));
  if (directive.empty()) directive = "COPY";
  if (directive != "COPY" && directive != "REPLACE") {
    co_return Status(Code::kInvalidArgument, "Unknown metadata directive.");
  }
  // Copying a named version onto its own key restores it, and a copy onto
  // itself may change the storage class: both allowed.
  STRATA_CO_ASSIGN_OR_RETURN(std::string storage_class, StorageClassFromHeader(ctx));
  if (src.bucket == ctx.bucket && src.key == ctx.key && directive == "COPY" && src_ref.latest() &&
      ctx.Header("x-amz-storage-class").empty()) {
    co_return Status(Code::kInvalidRequest,
                     "This copy request is illegal because it is trying to copy an object to "
                     "itself without changing the object's metadata, storage class, website "
                     "redirect location or encryption attributes.");
  }
  PutObjectArgs args;
  args.bucket = ctx.bucket;
  args.key = ctx.key;
  args.size = source.size;
  args.storage_class = std::move(storage_class);
  if (directive == "REPLACE") {
    STRATA_CO_ASSIGN_OR_RETURN(args.headers, MetadataFromRequest(ctx));
  } else {
    args.headers = source.headers;
  }
  args.tags = tagging_directive == "REPLACE" ? std::move(new_tags) : source.tags;
  args.lock = std::move(lock);  // a copy's lock is its own, never the source's
  auto body = ObjectBody(ctx.objects(), src.bucket, src.key, source, 0, source.size);
  // The copy's digests are the source's, recomputed on the way: a corrupt
  // read cannot slip through as a good copy.
  struct Counting final : BodySource {
    BodySource& inner;
    Hasher md5{HashAlgorithm::kMd5};
    explicit Counting(BodySource& in) : inner(in) {}
    Task<Result<size_t>> Read(MutableByteSpan out) override {
      STRATA_CO_ASSIGN_OR_RETURN(size_t n, co_await inner.Read(out));
      md5.Update(ByteSpan(out.data(), n));
      co_return n;
    }
  } counting(*body);
  const meta::VersionRecord& src_rec = source;
  STRATA_CO_ASSIGN_OR_RETURN(
      auto record, co_await ctx.objects().PutObject(
                       std::move(args), counting,
                       [&counting, &src_rec](uint64_t size, meta::VersionRecord& rec) -> Status {
                         if (size != src_rec.size) return Status(Code::kInternal, "short copy");
                         std::string md5 = HexEncode(counting.md5.Finish());
                         // Multipart sources keep their own ETag form only in S3's
                         // multipart path; a copy is a single PUT with a plain MD5.
                         if (src_rec.segments.size() == 1 && md5 != src_rec.etag) {
                           return Status(Code::kInternal, "copy source changed while copying");
                         }
                         rec.etag = md5;
                         rec.checksums = src_rec.segments.size() == 1 ? src_rec.checksums
                                                                      : decltype(rec.checksums){};
                         rec.checksum_type = rec.checksums.empty() ? "" : src_rec.checksum_type;
                         return Status();
                       }));
  XmlWriter x;
  x.Open("CopyObjectResult", kS3Xmlns)
      .Element("LastModified", Iso8601(record.mtime))
      .Element("ETag", QuotedEtag(record.etag));
  auto res = ctx.Response(http::status::ok);
  co_await SetVersionHeader(ctx, record, res);
  if (!source.null_version || !src_ref.latest()) {
    res.set("x-amz-copy-source-version-id", S3VersionId(source));
  }
  res.set(http::field::content_type, "application/xml");
  res.body() = x.Finish();
  res.prepare_payload();
  co_return co_await ctx.ex.Send(std::move(res));
}

}  // namespace strata::gw
