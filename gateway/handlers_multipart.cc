// Multipart upload operations.
#include <charconv>

#include "common/checksum.h"
#include "common/crypto.h"
#include "gateway/handlers.h"
#include "gateway/s3_xml.h"
#include "gateway/xml.h"

namespace strata::gw {

namespace {

Result<uint32_t> PartNumber(const RequestContext& ctx) {
  auto p = ctx.Query("partNumber");
  if (!p) return Status(Code::kInvalidArgument, "partNumber is required");
  uint32_t n = 0;
  auto [ptr, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(), n);
  if (ec != std::errc() || ptr != p->value.data() + p->value.size() || n < 1 || n > 10000) {
    return Status(Code::kInvalidArgument, "Part number must be an integer between 1 and 10000, inclusive");
  }
  return n;
}

Result<std::string> UploadId(const RequestContext& ctx) {
  auto p = ctx.Query("uploadId");
  if (!p || p->value.empty()) return Status(Code::kInvalidArgument, "uploadId is required");
  // Upload ids are hex; anything else cannot exist (and must not reach keys).
  for (char c : p->value) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return Status(Code::kNoSuchUpload);
  }
  return p->value;
}

void WriteOwner(XmlWriter& x, std::string_view element) {
  x.Open(element).Element("ID", "strata").Element("DisplayName", "strata").Close();
}

Task<Status> SendPartResult(RequestContext& ctx, const meta::PartRecord& part) {
  auto res = ctx.Response(http::status::ok);
  res.set(http::field::etag, QuotedEtag(part.segment.etag));
  for (const auto& [algo, value] : part.segment.checksums) {
    if (auto a = ParseChecksumAlgorithm(algo)) res.set(ChecksumHeader(*a), value);
  }
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

}  // namespace

Task<Status> CreateMultipartUpload(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto headers, MetadataFromRequest(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  UploadArgs args;
  STRATA_CO_ASSIGN_OR_RETURN(args.lock, LockFromHeaders(ctx, bucket, ctx.options.clock->Now()));
  args.bucket = ctx.bucket;
  args.key = ctx.key;
  args.headers = std::move(headers);
  STRATA_CO_ASSIGN_OR_RETURN(args.tags, TagsFromHeader(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(args.storage_class, StorageClassFromHeader(ctx));
  auto algo = ctx.Header("x-amz-checksum-algorithm");
  if (!algo.empty()) {
    auto a = ParseChecksumAlgorithm(algo);
    if (!a) co_return Status(Code::kInvalidRequest, "Checksum algorithm provided is unsupported.");
    args.checksum_algorithm = std::string(ChecksumName(*a));
    args.checksum_type = "COMPOSITE";
  }
  STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, co_await ctx.objects().CreateUpload(args));
  XmlWriter x;
  x.Open("InitiateMultipartUploadResult", kS3Xmlns)
      .Element("Bucket", ctx.bucket)
      .Element("Key", ctx.key)
      .Element("UploadId", upload_id);
  auto res = ctx.Response(http::status::ok);
  if (!args.checksum_algorithm.empty()) {
    res.set("x-amz-checksum-algorithm", args.checksum_algorithm);
    res.set("x-amz-checksum-type", args.checksum_type);
  }
  res.set(http::field::content_type, "application/xml");
  res.body() = x.Finish();
  res.prepare_payload();
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> UploadPart(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(uint32_t number, PartNumber(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, UploadId(ctx));
  std::optional<uint64_t> length;
  STRATA_CO_ASSIGN_OR_RETURN(auto body, MakeRequestBody(ctx, &length));
  if (length && *length > (5ull << 30)) co_return Status(Code::kEntityTooLarge);
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  BodySource& source = *body;
  STRATA_CO_ASSIGN_OR_RETURN(
      auto part, co_await ctx.objects().PutPart(
                     ctx.bucket, ctx.key, upload_id, number, length, source,
                     [&ctx, &source](uint64_t, meta::VersionRecord& rec) {
                       return FinishBody(ctx, source, rec);
                     }));
  co_return co_await SendPartResult(ctx, part);
}

Task<Status> UploadPartCopy(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(uint32_t number, PartNumber(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, UploadId(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(CopySource src, ParseCopySource(ctx.Header("x-amz-copy-source")));
  VersionRef src_ref;
  if (!src.version_id.empty()) {
    STRATA_CO_ASSIGN_OR_RETURN(src_ref, ParseVersionId(src.version_id));
  }
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  auto found = co_await ctx.objects().HeadObject(src.bucket, src.key, src_ref);
  if (!found.ok()) co_return found.status();
  if (found->delete_marker) {
    if (src_ref.latest()) co_return Status(Code::kNoSuchKey);
    co_return Status(Code::kInvalidRequest, "The source of a copy request may not specifically "
                                            "refer to a delete marker by version id.");
  }
  STRATA_CO_TRY(CheckConditions(ctx, *found, "x-amz-copy-source-"));
  uint64_t first = 0, length = found->size;
  auto range = ctx.Header("x-amz-copy-source-range");
  if (!range.empty()) {
    uint64_t a = 0, b = 0;
    std::string_view r = range;
    bool ok = r.starts_with("bytes=");
    size_t dash = r.find('-');
    if (ok && dash != std::string_view::npos) {
      auto pa = std::from_chars(r.data() + 6, r.data() + dash, a);
      auto pb = std::from_chars(r.data() + dash + 1, r.data() + r.size(), b);
      ok = pa.ec == std::errc() && pa.ptr == r.data() + dash && pb.ec == std::errc() &&
           pb.ptr == r.data() + r.size() && a <= b;
    } else {
      ok = false;
    }
    if (!ok) {
      co_return Status(Code::kInvalidArgument,
                       "The x-amz-copy-source-range value must be of the form bytes=first-last "
                       "where first and last are the zero-based offsets of the first and last "
                       "bytes to copy");
    }
    if (b >= found->size) {
      co_return Status(Code::kInvalidRange, "The requested range is not satisfiable");
    }
    first = a;
    length = b - a + 1;
  }
  auto body = ObjectBody(ctx.objects(), src.bucket, src.key, *found, first, length);
  struct Hashing final : BodySource {
    BodySource& inner;
    Hasher md5{HashAlgorithm::kMd5};
    explicit Hashing(BodySource& in) : inner(in) {}
    Task<Result<size_t>> Read(MutableByteSpan out) override {
      STRATA_CO_ASSIGN_OR_RETURN(size_t n, co_await inner.Read(out));
      md5.Update(ByteSpan(out.data(), n));
      co_return n;
    }
  } hashing(*body);
  STRATA_CO_ASSIGN_OR_RETURN(
      auto part, co_await ctx.objects().PutPart(
                     ctx.bucket, ctx.key, upload_id, number, length, hashing,
                     [&hashing, length](uint64_t size, meta::VersionRecord& rec) -> Status {
                       if (size != length) return Status(Code::kInternal, "short copy");
                       rec.etag = HexEncode(hashing.md5.Finish());
                       return Status();
                     }));
  XmlWriter x;
  x.Open("CopyPartResult", kS3Xmlns)
      .Element("LastModified", Iso8601(part.mtime))
      .Element("ETag", QuotedEtag(part.segment.etag));
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> CompleteMultipartUpload(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, UploadId(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(std::string body, co_await ReadSmallBody(ctx, kMaxXmlBody));
  STRATA_CO_ASSIGN_OR_RETURN(auto parts, ParseCompleteMultipartUpload(body));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  std::vector<CompletePart> list;
  for (const auto& p : parts) {
    std::string etag = p.etag;
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    list.push_back({static_cast<uint32_t>(p.part_number), etag});
  }
  STRATA_CO_ASSIGN_OR_RETURN(
      auto record, co_await ctx.objects().CompleteUpload(ctx.bucket, ctx.key, upload_id, list));
  XmlWriter x;
  x.Open("CompleteMultipartUploadResult", kS3Xmlns)
      .Element("Location", "/" + ctx.bucket + "/" + UriEncode(ctx.key, false))
      .Element("Bucket", ctx.bucket)
      .Element("Key", ctx.key)
      .Element("ETag", QuotedEtag(record.etag));
  for (const auto& [algo, value] : record.checksums) x.Element("Checksum" + algo, value);
  if (!record.checksum_type.empty()) x.Element("ChecksumType", record.checksum_type);
  auto res = ctx.Response(http::status::ok);
  co_await SetVersionHeader(ctx, record, res);
  res.set(http::field::content_type, "application/xml");
  res.body() = x.Finish();
  res.prepare_payload();
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> AbortMultipartUpload(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, UploadId(ctx));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_TRY(co_await ctx.objects().AbortUpload(ctx.bucket, ctx.key, upload_id));
  co_return co_await ctx.SendEmpty(http::status::no_content);
}

Task<Status> ListParts(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string upload_id, UploadId(ctx));
  uint32_t marker = 0;
  size_t max_parts = 1000;
  if (auto p = ctx.Query("part-number-marker")) {
    auto [ptr, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(), marker);
    if (ec != std::errc()) co_return Status(Code::kInvalidArgument, "Invalid part-number-marker");
  }
  if (auto p = ctx.Query("max-parts")) {
    auto [ptr, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(), max_parts);
    if (ec != std::errc()) co_return Status(Code::kInvalidArgument, "Invalid max-parts");
    max_parts = std::min<size_t>(max_parts, 1000);
  }
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto upload,
                             co_await ctx.objects().GetUpload(ctx.bucket, ctx.key, upload_id));
  STRATA_CO_ASSIGN_OR_RETURN(auto parts,
                             co_await ctx.objects().ListParts(ctx.bucket, ctx.key, upload_id));
  XmlWriter x;
  x.Open("ListPartsResult", kS3Xmlns)
      .Element("Bucket", ctx.bucket)
      .Element("Key", ctx.key)
      .Element("UploadId", upload_id);
  WriteOwner(x, "Initiator");
  WriteOwner(x, "Owner");
  x.Element("StorageClass", upload.storage_class.empty() ? "STANDARD" : upload.storage_class);
  x.Element("PartNumberMarker", uint64_t(marker));
  std::vector<const meta::PartRecord*> page;
  bool truncated = false;
  for (const auto& p : parts) {
    if (p.part_number <= marker) continue;
    if (page.size() == max_parts) {
      truncated = true;
      break;
    }
    page.push_back(&p);
  }
  if (!page.empty()) x.Element("NextPartNumberMarker", uint64_t(page.back()->part_number));
  x.Element("MaxParts", uint64_t(max_parts));
  x.Element("IsTruncated", truncated);
  if (!upload.checksum_algorithm.empty()) x.Element("ChecksumAlgorithm", upload.checksum_algorithm);
  for (const auto* p : page) {
    x.Open("Part")
        .Element("PartNumber", uint64_t(p->part_number))
        .Element("LastModified", Iso8601(p->mtime))
        .Element("ETag", QuotedEtag(p->segment.etag))
        .Element("Size", p->segment.size);
    for (const auto& [algo, value] : p->segment.checksums) x.Element("Checksum" + algo, value);
    x.Close();
  }
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

Task<Status> ListMultipartUploads(RequestContext& ctx) {
  ListUploadsArgs args;
  args.bucket = ctx.bucket;
  if (auto p = ctx.Query("prefix")) args.prefix = p->value;
  if (auto p = ctx.Query("key-marker")) args.key_marker = p->value;
  if (auto p = ctx.Query("upload-id-marker")) args.upload_id_marker = p->value;
  if (auto p = ctx.Query("max-uploads")) {
    auto [ptr, ec] = std::from_chars(p->value.data(), p->value.data() + p->value.size(),
                                     args.max_uploads);
    if (ec != std::errc()) co_return Status(Code::kInvalidArgument, "Invalid max-uploads");
    args.max_uploads = std::min<size_t>(args.max_uploads, 1000);
  }
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  STRATA_CO_ASSIGN_OR_RETURN(auto uploads, co_await ctx.objects().ListUploads(args));
  bool truncated = uploads.size() > args.max_uploads;
  if (truncated) uploads.resize(args.max_uploads);
  XmlWriter x;
  x.Open("ListMultipartUploadsResult", kS3Xmlns)
      .Element("Bucket", ctx.bucket)
      .Element("KeyMarker", args.key_marker)
      .Element("UploadIdMarker", args.upload_id_marker);
  if (truncated && !uploads.empty()) {
    x.Element("NextKeyMarker", uploads.back().key)
        .Element("NextUploadIdMarker", uploads.back().upload_id);
  }
  x.Element("Prefix", args.prefix);
  x.Element("MaxUploads", uint64_t(args.max_uploads)).Element("IsTruncated", truncated);
  for (const auto& u : uploads) {
    x.Open("Upload").Element("Key", u.key).Element("UploadId", u.upload_id);
    WriteOwner(x, "Initiator");
    WriteOwner(x, "Owner");
    x.Element("StorageClass", u.storage_class.empty() ? "STANDARD" : u.storage_class)
        .Element("Initiated", Iso8601(u.initiated));
    x.Close();
  }
  co_return co_await ctx.SendXml(http::status::ok, x.Finish());
}

}  // namespace strata::gw
