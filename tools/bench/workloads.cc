// The measured loops: each worker sends one request after another on its
// own connection until the deadline; a request in flight at the deadline
// still completes and counts.
#include <string>
#include <vector>

#include "gateway/uri.h"
#include "tools/bench/bench.h"

namespace strata::bench {
namespace asio = boost::asio;
namespace {

using Clock = std::chrono::steady_clock;

// The mixed workload's shares, in percent (the usage text quotes them).
constexpr int kMixGet = 45, kMixHead = 30, kMixPut = 15;  // DELETE: the rest, 10

// Sets w.target to a new key of this worker's own: "<prefix>w<index>-<n>".
void NewKeyTarget(const std::string& base, Worker& w) {
  w.target.assign(base);
  w.target += 'w';
  w.target += std::to_string(w.index);
  w.target += '-';
  w.target += std::to_string(w.next_seq++);
}

asio::awaitable<void> PutLoop(Bench& b, Worker& w, SteadyTime deadline) {
  const std::string base = b.TargetPrefix();
  for (SteadyTime now = Clock::now(); now < deadline;) {
    NewKeyTarget(base, w);
    Reply r = co_await w.conn->Send({.method = "PUT", .target = w.target, .body = b.body()});
    SteadyTime done = Clock::now();
    w.Count("PUT", r, now, done);
    ++w.counts.put;
    if (r.ok()) w.bytes += b.body().size();
    now = done;
  }
}

// GET or HEAD of random targets: prepared objects, or the one --url (unsigned).
asio::awaitable<void> ReadLoop(Worker& w, const std::vector<std::string>& targets, bool head,
                               bool sign, SteadyTime deadline) {
  const char* op = head ? "HEAD" : "GET";
  for (SteadyTime now = Clock::now(); now < deadline;) {
    const std::string& target = targets[w.rng() % targets.size()];
    Reply r = co_await w.conn->Send({.method = op, .target = target, .sign = sign});
    SteadyTime done = Clock::now();
    w.Count(op, r, now, done);
    ++(head ? w.counts.head : w.counts.get);
    if (r.ok()) w.bytes += r.body_bytes;
    now = done;
  }
}

// ListObjectsV2 over the run's prefix, page after page, starting over at the
// end of the listing.
asio::awaitable<void> ListLoop(Bench& b, Worker& w, SteadyTime deadline) {
  const std::string first = "/" + b.bucket + "?list-type=2&max-keys=1000&prefix=" +
                            gw::UriEncode(b.prefix, true);
  std::string token;
  for (SteadyTime now = Clock::now(); now < deadline;) {
    w.target.assign(first);
    if (!token.empty()) w.target += "&continuation-token=" + gw::UriEncode(token, true);
    Reply r = co_await w.conn->Send({.method = "GET", .target = w.target, .keep_body = true});
    SteadyTime done = Clock::now();
    w.Count("LIST", r, now, done);
    ++w.counts.list;
    token.clear();
    if (r.ok()) {
      w.bytes += r.body_bytes;
      std::string_view body = r.body;
      for (size_t p = body.find("<Contents>"); p != std::string_view::npos;
           p = body.find("<Contents>", p + 10)) {
        ++w.keys;
      }
      constexpr std::string_view kOpen = "<NextContinuationToken>";
      size_t a = body.find(kOpen);
      size_t e = a == std::string_view::npos ? a : body.find("</NextContinuationToken>", a);
      if (e != std::string_view::npos && body.find("<IsTruncated>true</IsTruncated>") !=
                                             std::string_view::npos) {
        token.assign(body.substr(a + kOpen.size(), e - a - kOpen.size()));
      }
    }
    now = done;
  }
}

asio::awaitable<void> MixedLoop(Bench& b, Worker& w, SteadyTime deadline) {
  const std::string base = b.TargetPrefix();
  for (SteadyTime now = Clock::now(); now < deadline;) {
    int dice = static_cast<int>(w.rng() % 100);
    if (w.live.empty()) dice = kMixGet + kMixHead;  // nothing to read or delete: PUT
    size_t pick = w.live.empty() ? 0 : w.rng() % w.live.size();
    Reply r;
    const char* op;
    if (dice < kMixGet) {
      op = "GET";
      r = co_await w.conn->Send({.method = op, .target = w.live[pick]});
      ++w.counts.get;
      if (r.ok()) w.bytes += r.body_bytes;
    } else if (dice < kMixGet + kMixHead) {
      op = "HEAD";
      r = co_await w.conn->Send({.method = op, .target = w.live[pick]});
      ++w.counts.head;
    } else if (dice < kMixGet + kMixHead + kMixPut) {
      op = "PUT";
      NewKeyTarget(base, w);
      r = co_await w.conn->Send({.method = op, .target = w.target, .body = b.body()});
      ++w.counts.put;
      // Kept even when it failed: the clean-up lists, so a stray key is found anyway.
      w.live.push_back(w.target);
      if (r.ok()) w.bytes += b.body().size();
    } else {
      op = "DELETE";
      r = co_await w.conn->Send({.method = op, .target = w.live[pick]});
      ++w.counts.del;
      if (r.ok()) {
        std::swap(w.live[pick], w.live.back());
        w.live.pop_back();
      }
    }
    SteadyTime done = Clock::now();
    w.Count(op, r, now, done);
    now = done;
  }
}

}  // namespace

std::chrono::duration<double> Measure(Bench& b, size_t prepared) {
  const Options& o = b.options();
  std::vector<std::string> targets;
  if (o.workload == Workload::kGet || o.workload == Workload::kHead) {
    targets.reserve(prepared);
    for (size_t n = 0; n < prepared; ++n) targets.push_back(PreparedTarget(b, n));
  } else if (o.workload == Workload::kUrl) {
    targets.push_back(b.url_target);
  }
  const bool url_head = o.method == "HEAD";
  SteadyTime start = Clock::now();
  SteadyTime deadline = start + o.duration;
  b.RunOnAll([&](Worker& w) -> asio::awaitable<void> {
    switch (o.workload) {
      case Workload::kPut: co_await PutLoop(b, w, deadline); break;
      case Workload::kGet: co_await ReadLoop(w, targets, false, true, deadline); break;
      case Workload::kHead: co_await ReadLoop(w, targets, true, true, deadline); break;
      case Workload::kUrl: co_await ReadLoop(w, targets, url_head, false, deadline); break;
      case Workload::kList: co_await ListLoop(b, w, deadline); break;
      case Workload::kMixed: co_await MixedLoop(b, w, deadline); break;
      case Workload::kPresign: break;
    }
  });
  return Clock::now() - start;
}

}  // namespace strata::bench
