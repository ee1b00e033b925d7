// The phases around the measurement: the bucket, the objects a workload
// reads, and the clean-up that removes everything the run made.
//
// Every key this tool makes is "<prefix>obj-<n>" or "<prefix>w<worker>-<n>"
// with prefix "sb-<hex>/": plain ASCII that needs no XML or URL escaping, so
// the listing below can hand keys straight to DeleteObjects.
#include <algorithm>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/encoding.h"
#include "gateway/uri.h"
#include "tools/bench/bench.h"

namespace strata::bench {
namespace asio = boost::asio;
namespace {

// The text between the next `open` and `close` at or after *pos, moving *pos
// past it; false when there is none.
bool NextBetween(std::string_view s, std::string_view open, std::string_view close, size_t* pos,
                 std::string* out) {
  size_t a = s.find(open, *pos);
  if (a == std::string_view::npos) return false;
  a += open.size();
  size_t b = s.find(close, a);
  if (b == std::string_view::npos) return false;
  out->assign(s.substr(a, b - a));
  *pos = b + close.size();
  return true;
}

size_t CountOf(std::string_view s, std::string_view what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string_view::npos; p = s.find(what, p + what.size())) {
    ++n;
  }
  return n;
}

std::string Describe(std::string_view what, const Bench::OwnedReply& r) {
  OpError e;
  e.op = std::string(what);
  e.status = r.status;
  e.message = r.status == 0 ? r.transport_error : S3ErrorMessage(r.body);
  if (r.status != 0) e.code = S3ErrorCode(r.body);
  std::string text = DescribeError(e);
  if (r.status == 403) text += "; check --access-key, --secret-key and --region";
  return text;
}

// Every key under the run's prefix, in ListObjectsV2 pages of 1000.
Status ListRunKeys(Bench& b, std::vector<std::string>* keys) {
  std::string token;
  for (;;) {
    std::string target = "/" + b.bucket + "?list-type=2&max-keys=1000&prefix=" +
                         gw::UriEncode(b.prefix, true);
    if (!token.empty()) target += "&continuation-token=" + gw::UriEncode(token, true);
    Bench::OwnedReply r = b.Call({.method = "GET", .target = target, .keep_body = true});
    if (!r.ok()) return Status(Code::kUnavailable, Describe("list", r));
    size_t pos = 0;
    std::string key;
    while (NextBetween(r.body, "<Key>", "</Key>", &pos, &key)) keys->push_back(key);
    pos = 0;
    token.clear();
    NextBetween(r.body, "<NextContinuationToken>", "</NextContinuationToken>", &pos, &token);
    if (r.body.find("<IsTruncated>true</IsTruncated>") == std::string::npos || token.empty()) {
      return Status::Ok();
    }
  }
}

// Deletes `keys` with one DeleteObjects request, or one DELETE each when the
// endpoint refuses DeleteObjects.
asio::awaitable<void> DeleteBatch(Bench& b, Worker& w, std::span<const std::string> keys,
                                  CleanupResult* out) {
  std::string xml = "<Delete><Quiet>true</Quiet>";
  for (const std::string& k : keys) xml += "<Object><Key>" + k + "</Key></Object>";
  xml += "</Delete>";
  std::string md5 = Base64Encode(Md5(xml));
  std::string target = "/" + b.bucket + "?delete";
  Reply r = co_await w.conn->Send(
      {.method = "POST", .target = target, .body = xml, .content_md5 = md5, .keep_body = true});
  if (r.ok()) {
    // Quiet mode lists only the keys that failed.
    uint64_t failed = CountOf(r.body, "<Error>");
    out->errors += failed;
    out->deleted += keys.size() - std::min<uint64_t>(failed, keys.size());
    if (failed > 0 && !out->first_error) {
      out->first_error = OpError{"DeleteObjects", r.status, "", "some keys were not deleted"};
    }
    co_return;
  }
  for (const std::string& k : keys) {
    std::string one = "/" + b.bucket + "/" + k;
    Reply d = co_await w.conn->Send({.method = "DELETE", .target = one});
    if (d.ok()) {
      ++out->deleted;
    } else {
      ++out->errors;
      if (!out->first_error) out->first_error = ErrorOf("DELETE", d);
    }
  }
}

}  // namespace

Result<bool> SetUpBucket(Bench& b) {
  const Options& o = b.options();
  b.prefix = "sb-" + HexEncode(RandomBytes(4)) + "/";
  b.bucket = o.bucket.empty() ? "strata-bench-" + HexEncode(RandomBytes(5)) : o.bucket;
  std::string target = "/" + b.bucket;
  if (!o.bucket.empty()) {
    Bench::OwnedReply head = b.Call({.method = "HEAD", .target = target});
    if (head.ok()) return false;
    if (head.status != 404) {
      return Status(Code::kUnavailable, Describe("HEAD bucket " + b.bucket, head));
    }
  }
  Bench::OwnedReply put = b.Call({.method = "PUT", .target = target});
  if (!put.ok()) {
    return Status(Code::kUnavailable, Describe("cannot create bucket " + b.bucket, put));
  }
  return true;
}

Status PrepareObjects(Bench& b, size_t count) {
  const size_t workers = b.workers().size();
  const bool keep_live = b.options().workload == Workload::kMixed;
  b.RunOnAll([&](Worker& w) -> asio::awaitable<void> {
    for (size_t n = w.index; n < count; n += workers) {
      std::string target = PreparedTarget(b, n);
      Reply r = co_await w.conn->Send({.method = "PUT", .target = target, .body = b.body()});
      if (!r.ok()) {
        w.first_error = ErrorOf("PUT", r);
        co_return;
      }
      if (keep_live) w.live.push_back(std::move(target));
    }
  });
  for (auto& w : b.workers()) {
    if (w->first_error) {
      std::string text = "preparing objects: " + DescribeError(*w->first_error);
      w->first_error.reset();
      return Status(Code::kUnavailable, text);
    }
  }
  return Status::Ok();
}

CleanupResult CleanUp(Bench& b, bool bucket_owned) {
  CleanupResult result;
  std::vector<std::string> keys;
  if (Status s = ListRunKeys(b, &keys); !s.ok()) {
    ++result.errors;
    result.first_error = OpError{"list", 0, "", std::string(s.message())};
  }
  // Small batches when there are few keys, so every connection helps.
  const size_t workers = b.workers().size();
  const size_t batch = std::clamp<size_t>((keys.size() + workers - 1) / workers, 1, 1000);
  std::vector<CleanupResult> per_worker(workers);
  b.RunOnAll([&](Worker& w) -> asio::awaitable<void> {
    for (size_t start = w.index * batch; start < keys.size(); start += workers * batch) {
      size_t n = std::min(batch, keys.size() - start);
      co_await DeleteBatch(b, w, std::span<const std::string>(keys).subspan(start, n),
                           &per_worker[w.index]);
    }
  });
  for (const CleanupResult& r : per_worker) {
    result.deleted += r.deleted;
    result.errors += r.errors;
    if (!result.first_error && r.first_error) result.first_error = r.first_error;
  }
  if (bucket_owned) {
    Bench::OwnedReply del = b.Call({.method = "DELETE", .target = "/" + b.bucket});
    result.bucket_deleted = del.ok();
    if (!del.ok()) {
      ++result.errors;
      if (!result.first_error) {
        result.first_error = OpError{"DELETE bucket", del.status, S3ErrorCode(del.body),
                                     S3ErrorMessage(del.body)};
      }
    }
  }
  return result;
}

}  // namespace strata::bench
