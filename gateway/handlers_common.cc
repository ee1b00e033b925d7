// Steps every handler shares: headers, validation, conditionals, copy sources.
#include <boost/beast/core/string.hpp>
#include <cctype>

#include "common/timefmt.h"
#include "gateway/handlers.h"

namespace strata::gw {

const QueryParam* RequestContext::Query(std::string_view name) const {
  for (const auto& q : query) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

std::string_view RequestContext::Header(std::string_view name) const {
  auto it = req().find(name);
  if (it == req().end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

http::response<http::string_body> RequestContext::Response(http::status status) const {
  http::response<http::string_body> res{status, 11};
  res.set("x-amz-request-id", request_id);
  return res;
}

Task<Status> RequestContext::SendXml(http::status status, std::string xml) const {
  auto res = Response(status);
  res.set(http::field::content_type, "application/xml");
  res.body() = std::move(xml);
  res.prepare_payload();
  co_return co_await ex.Send(std::move(res));
}

Task<Status> RequestContext::SendEmpty(http::status status) const {
  auto res = Response(status);
  res.content_length(0);
  co_return co_await ex.Send(std::move(res));
}

Status ValidateBucketName(std::string_view name) {
  auto bad = [] { return Status(Code::kInvalidBucketName, "The specified bucket is not valid."); };
  if (name.size() < 3 || name.size() > 63) return bad();
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '.' || c == '-')) {
      return bad();
    }
  }
  auto alnum = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
  };
  if (!alnum(name.front()) || !alnum(name.back())) return bad();
  if (name.find("..") != std::string_view::npos || name.find(".-") != std::string_view::npos ||
      name.find("-.") != std::string_view::npos) {
    return bad();
  }
  if (name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") ||
      name.ends_with("--ol-s3")) {
    return bad();
  }
  // Not an IP address.
  int dots = 0;
  bool digits_and_dots = true;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) digits_and_dots = false;
  }
  if (digits_and_dots && dots == 3) return bad();
  return Status();
}

Status ValidateKey(std::string_view key) {
  if (key.size() > 1024) return Status(Code::kKeyTooLong, "Your key is too long");
  if (key.find('\0') != std::string_view::npos) {
    return Status(Code::kInvalidArgument, "Object keys may not contain NUL bytes");
  }
  // UTF-8 well-formedness (S3 keys are UTF-8).
  size_t i = 0;
  while (i < key.size()) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > key.size()) {
      return Status(Code::kInvalidArgument, "Object key is not valid UTF-8");
    }
    for (int j = 1; j < len; ++j) {
      if ((static_cast<unsigned char>(key[i + j]) >> 6) != 2) {
        return Status(Code::kInvalidArgument, "Object key is not valid UTF-8");
      }
    }
    i += len;
  }
  return Status();
}

Task<Status> RequireBucket(RequestContext& ctx) {
  auto b = co_await ctx.objects().GetBucket(ctx.bucket);
  co_return b.status();
}

Result<std::vector<std::pair<std::string, std::string>>> MetadataFromRequest(
    const RequestContext& ctx) {
  static constexpr std::string_view kKept[] = {"content-type", "content-encoding",
                                               "content-disposition", "cache-control",
                                               "expires", "content-language"};
  std::vector<std::pair<std::string, std::string>> out;
  size_t user_bytes = 0;
  for (const auto& field : ctx.req()) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value(field.value());
    if (name.starts_with("x-amz-meta-")) {
      user_bytes += name.size() - 11 + value.size();
      out.emplace_back(std::move(name), std::move(value));
      continue;
    }
    for (auto kept : kKept) {
      if (name != kept) continue;
      if (name == "content-encoding") {
        // aws-chunked is transport framing, not the object's encoding.
        std::string filtered;
        size_t start = 0;
        while (start <= value.size()) {
          size_t comma = value.find(',', start);
          std::string token = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          while (!token.empty() && token.front() == ' ') token.erase(0, 1);
          while (!token.empty() && token.back() == ' ') token.pop_back();
          if (!token.empty() && !boost::beast::iequals(token, "aws-chunked")) {
            if (!filtered.empty()) filtered += ",";
            filtered += token;
          }
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        value = filtered;
        if (value.empty()) break;
      }
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  if (user_bytes > 2048) return Status(Code::kMetadataTooLarge);
  return out;
}

Result<VersionRef> RequestedVersion(const RequestContext& ctx) {
  const QueryParam* v = ctx.Query("versionId");
  if (!v) return VersionRef::Latest();
  return ParseVersionId(v->value);
}

Task<void> SetVersionHeader(RequestContext& ctx, const meta::VersionRecord& record,
                            http::fields& headers) {
  if (!record.null_version) {
    headers.set("x-amz-version-id", S3VersionId(record));
    co_return;
  }
  auto versioning = co_await ctx.objects().BucketVersioning(ctx.bucket);
  if (versioning.ok() && !versioning->empty()) headers.set("x-amz-version-id", "null");
}

std::string QuotedEtag(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

std::string Iso8601(SysTime t) { return FormatIso8601(t); }

Result<CopySource> ParseCopySource(std::string_view header) {
  std::string_view s = header;
  std::string version;
  size_t q = s.find("?versionId=");
  if (q != std::string_view::npos) {
    version = std::string(s.substr(q + 11));
    s = s.substr(0, q);
  }
  if (!s.empty() && s.front() == '/') s.remove_prefix(1);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) {
    return Status(Code::kInvalidArgument, "Copy Source must mention the source bucket and key: "
                                          "sourcebucket/sourcekey");
  }
  CopySource out;
  STRATA_ASSIGN_OR_RETURN(out.bucket, UriDecode(s.substr(0, slash)));
  STRATA_ASSIGN_OR_RETURN(out.key, UriDecode(s.substr(slash + 1)));
  out.version_id = version;
  return out;
}

namespace {

bool EtagMatches(std::string_view header, std::string_view etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    std::string_view tok = header.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!tok.empty() && tok.front() == ' ') tok.remove_prefix(1);
    while (!tok.empty() && tok.back() == ' ') tok.remove_suffix(1);
    if (tok.starts_with("W/")) tok.remove_prefix(2);
    if (tok == "*") return true;
    if (tok.size() >= 2 && tok.front() == '"' && tok.back() == '"') tok = tok.substr(1, tok.size() - 2);
    if (tok == etag) return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

}  // namespace

Status CheckConditions(const RequestContext& ctx, const meta::VersionRecord& record,
                       std::string_view prefix) {
  auto h = [&](std::string_view name) { return ctx.Header(std::string(prefix) + std::string(name)); };
  // Second precision, as HTTP dates have.
  int64_t mtime_s = ToMicros(record.mtime) / 1000000;
  auto if_match = h("if-match");
  auto if_none_match = h("if-none-match");
  auto if_unmodified = h("if-unmodified-since");
  auto if_modified = h("if-modified-since");
  bool copy = !prefix.empty();
  if (!if_match.empty()) {
    if (!EtagMatches(if_match, record.etag)) return Status(Code::kPreconditionFailed);
  } else if (!if_unmodified.empty()) {
    if (auto t = ParseHttpDate(if_unmodified)) {
      if (mtime_s > ToMicros(*t) / 1000000) return Status(Code::kPreconditionFailed);
    }
  }
  if (!if_none_match.empty()) {
    if (EtagMatches(if_none_match, record.etag)) {
      return copy ? Status(Code::kPreconditionFailed) : Status(Code::kNotModified);
    }
  } else if (!if_modified.empty()) {
    if (auto t = ParseHttpDate(if_modified)) {
      if (mtime_s <= ToMicros(*t) / 1000000 && ToMicros(*t) <= ToMicros(ctx.options.clock->Now())) {
        return copy ? Status(Code::kPreconditionFailed) : Status(Code::kNotModified);
      }
    }
  }
  return Status();
}

namespace {

class ObjectSource final : public BodySource {
 public:
  ObjectSource(ObjectLayer& objects, std::string bucket, std::string key,
               meta::VersionRecord record, uint64_t offset, uint64_t length)
      : objects_(objects), bucket_(std::move(bucket)), key_(std::move(key)),
        record_(std::move(record)), pos_(offset), end_(offset + length) {}

  Task<Result<size_t>> Read(MutableByteSpan out) override {
    if (pos_ >= end_ || out.empty()) co_return size_t{0};
    uint64_t len = std::min<uint64_t>(out.size(), end_ - pos_);
    struct Into final : BodySink {
      MutableByteSpan dst;
      size_t filled = 0;
      Task<Status> Write(ByteSpan data) override {
        std::copy(data.begin(), data.end(), dst.begin() + filled);
        filled += data.size();
        co_return Status();
      }
    } sink;
    sink.dst = out;
    STRATA_CO_TRY(co_await objects_.ReadObject(bucket_, key_, record_, pos_, len, sink));
    pos_ += sink.filled;
    co_return sink.filled;
  }

 private:
  ObjectLayer& objects_;
  std::string bucket_, key_;
  meta::VersionRecord record_;
  uint64_t pos_, end_;
};

}  // namespace

std::unique_ptr<BodySource> ObjectBody(ObjectLayer& objects, std::string bucket, std::string key,
                                       meta::VersionRecord record, uint64_t offset,
                                       uint64_t length) {
  return std::make_unique<ObjectSource>(objects, std::move(bucket), std::move(key),
                                        std::move(record), offset, length);
}

}  // namespace strata::gw

namespace strata::gw {

Result<std::string> StorageClassFromHeader(const RequestContext& ctx) {
  std::string_view cls = ctx.Header("x-amz-storage-class");
  if (cls.empty()) return std::string("STANDARD");
  if (!ctx.objects().KnownStorageClass(cls)) return Status(Code::kInvalidStorageClass);
  return std::string(cls);
}

}  // namespace strata::gw
