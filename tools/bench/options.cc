// strata-bench's argument parsing and usage text.
#include "tools/bench/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace strata::bench {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;

std::optional<uint64_t> ParseUnsigned(std::string_view text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// Splits "64KiB" into ("64", "KiB").
std::pair<std::string_view, std::string_view> SplitNumber(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  return {text.substr(0, i), text.substr(i)};
}

std::optional<Workload> ParseWorkload(std::string_view s) {
  if (s == "put") return Workload::kPut;
  if (s == "get") return Workload::kGet;
  if (s == "head") return Workload::kHead;
  if (s == "mixed") return Workload::kMixed;
  if (s == "list") return Workload::kList;
  if (s == "url") return Workload::kUrl;
  if (s == "presign") return Workload::kPresign;
  return std::nullopt;
}

Status Invalid(std::string message) { return Status(Code::kInvalidArgument, std::move(message)); }

}  // namespace

std::string_view WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPut: return "put";
    case Workload::kGet: return "get";
    case Workload::kHead: return "head";
    case Workload::kMixed: return "mixed";
    case Workload::kList: return "list";
    case Workload::kUrl: return "url";
    case Workload::kPresign: return "presign";
  }
  return "?";
}

size_t DefaultObjects(const Options& o) {
  if (o.workload == Workload::kList) return 1000;
  uint64_t fit = o.size == 0 ? 100 : kGiB / o.size;
  return static_cast<size_t>(std::clamp<uint64_t>(fit, 1, 100));
}

Result<uint64_t> ParseSize(std::string_view text) {
  auto [digits, unit] = SplitNumber(text);
  std::optional<uint64_t> n = ParseUnsigned(digits);
  if (!n) return Invalid("bad size '" + std::string(text) + "' (e.g. 4KiB, 1MiB, 4096)");
  std::string u = Lower(unit);
  uint64_t mult = 0;
  if (u.empty() || u == "b") mult = 1;
  else if (u == "kib") mult = kKiB;
  else if (u == "mib") mult = kMiB;
  else if (u == "gib") mult = kGiB;
  else if (u == "kb") mult = 1000;
  else if (u == "mb") mult = 1000 * 1000;
  else if (u == "gb") mult = 1000 * 1000 * 1000;
  else return Invalid("unknown size unit '" + std::string(unit) + "' in '" + std::string(text) +
                      "' (B, KiB, MiB, GiB, KB, MB, GB)");
  if (*n > (uint64_t{1} << 40) / mult) return Invalid("size too large: " + std::string(text));
  return *n * mult;
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto [digits, unit] = SplitNumber(text);
  std::optional<uint64_t> n = ParseUnsigned(digits);
  if (!n) return Invalid("bad duration '" + std::string(text) + "' (e.g. 10s, 500ms, 2m)");
  uint64_t ms = 0;
  if (unit.empty() || unit == "s") ms = *n * 1000;
  else if (unit == "ms") ms = *n;
  else if (unit == "m") ms = *n * 60 * 1000;
  else return Invalid("unknown duration unit '" + std::string(unit) + "' (ms, s, m)");
  if (ms == 0) return Invalid("duration must be > 0");
  return std::chrono::milliseconds(ms);
}

Result<Options> ParseArgs(const std::vector<std::string_view>& args) {
  Options o;
  bool have_workload = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "-h" || a == "--help") return Status(Code::kAborted, "help");
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a.starts_with("--")) {
      // Every other flag takes a value: "--flag VALUE" or "--flag=VALUE".
      std::string_view name = a, value;
      if (size_t eq = a.find('='); eq != std::string_view::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Invalid("missing value for " + std::string(a));
      }
      auto count = [&](size_t* out, size_t min) -> Status {
        std::optional<uint64_t> v = ParseUnsigned(value);
        if (!v || *v < min || *v > 100000) {
          return Invalid("bad value '" + std::string(value) + "' for " + std::string(name));
        }
        *out = static_cast<size_t>(*v);
        return Status::Ok();
      };
      if (name == "--endpoint") o.endpoint = value;
      else if (name == "--access-key") o.access_key = value;
      else if (name == "--secret-key") o.secret_key = value;
      else if (name == "--region") o.region = value;
      else if (name == "--bucket") o.bucket = value;
      else if (name == "--key") o.key = value;
      else if (name == "--url") o.url = value;
      else if (name == "--method") o.method = Upper(value);
      else if (name == "--size") {
        STRATA_ASSIGN_OR_RETURN(o.size, ParseSize(value));
      } else if (name == "--duration") {
        STRATA_ASSIGN_OR_RETURN(o.duration, ParseDuration(value));
      } else if (name == "--concurrency") {
        STRATA_TRY(count(&o.concurrency, 1));
      } else if (name == "--threads") {
        STRATA_TRY(count(&o.threads, 1));
      } else if (name == "--objects") {
        STRATA_TRY(count(&o.objects, 1));
      } else if (name == "--expires") {
        std::optional<uint64_t> v = ParseUnsigned(value);
        if (!v || *v < 1 || *v > 604800) return Invalid("--expires must be 1 to 604800 seconds");
        o.expires_seconds = static_cast<int64_t>(*v);
      } else {
        return Invalid("unknown option " + std::string(name));
      }
      continue;
    }
    if (have_workload) return Invalid("unexpected argument '" + std::string(a) + "'");
    std::optional<Workload> w = ParseWorkload(a);
    if (!w) return Invalid("unknown workload '" + std::string(a) + "'");
    o.workload = *w;
    have_workload = true;
  }
  if (!have_workload) {
    return Invalid("missing workload (put, get, head, mixed, list, url, presign)");
  }
  if (o.threads > o.concurrency) o.threads = o.concurrency;
  // Every PUT sends one body held in memory; S3 allows 5 GiB in one PUT.
  if (o.size > 5 * kGiB) return Invalid("--size: at most 5GiB");
  if (o.workload == Workload::kUrl) {
    if (o.url.empty()) return Invalid("url needs --url");
    if (o.method != "GET" && o.method != "HEAD") return Invalid("url: --method is GET or HEAD");
    return o;
  }
  if (o.endpoint.empty()) return Invalid("missing --endpoint");
  if (o.access_key.empty() || o.secret_key.empty()) {
    return Invalid("missing --access-key / --secret-key");
  }
  if (o.workload == Workload::kPresign && o.bucket.empty()) {
    return Invalid("presign needs --bucket (and usually --key)");
  }
  return o;
}

std::string_view Usage() {
  return R"(usage: strata-bench --endpoint URL --access-key K --secret-key S WORKLOAD [options]
       strata-bench url --url URL [--method HEAD] [options]

An S3 load generator: SigV4-signed requests (UNSIGNED-PAYLOAD bodies),
path-style URLs, one HTTP/1.1 keep-alive connection per concurrent worker.
Works against any S3 endpoint (http:// only).

Workloads:
  put      PUT objects of --size under distinct keys for --duration.
  get      prepare --objects objects of --size, then GET random ones.
  head     prepare --objects objects of --size, then HEAD random ones.
  mixed    prepare --objects objects of --size, then a mix per request of
           45% GET, 30% HEAD, 15% PUT (new keys) and 10% DELETE; each worker
           works on its own share of the keys, so no request races another.
  list     prepare --objects keys, then ListObjectsV2 pages (max-keys 1000)
           over them, again and again; reports keys/s as well as ops/s.
  url      GET (or --method HEAD) one --url again and again, unsigned: the same
           client against a static file server and against a presigned URL
           (--endpoint and the keys are not needed).
  presign  print a presigned URL for --bucket/--key (--method, --expires)
           and exit; nothing is sent. For load generators such as wrk.

Options:
  --size N          object size: B, KiB, MiB, GiB (or KB, MB, GB = powers of
                    ten); a bare number is bytes. Default 4KiB.
  --concurrency N   connections, each with one request in flight. Default 16.
  --threads N       client I/O threads sharing the connections. Default 1:
                    the client should cost the server as little CPU as can be.
  --duration D      how long to measure: ms, s, m (bare number = s). Default 10s.
  --objects N       objects to prepare for get/head/mixed/list. Default 1000
                    for list; otherwise 100, but no more than fit in 1 GiB.
  --bucket B        use bucket B (created, and removed at the end, only if it
                    does not exist). Default: a fresh strata-bench-<random>,
                    removed at the end. Every object made is deleted either way.
  --region R        SigV4 region. Default us-east-1.
  --key K, --method M, --expires SECONDS   for presign (GET, 3600).
  --url URL, --method GET|HEAD             for url.
  --json            print the report as one JSON object instead of text.

JSON fields (--json):
  workload, endpoint, bucket, size_bytes, concurrency, threads,
  objects_prepared   objects made before the measured phase
  duration_s         measured wall time (until the last in-flight request ended)
  ops, ops_per_s     completed requests (errors included) and their rate
  bytes, mib_per_s   body bytes moved by successful requests (PUT bodies sent,
                     GET bodies and listings received)
  keys, keys_per_s   list only: keys returned by ListObjectsV2
  ops_by_type        {"get": n, "put": n, "head": n, "delete": n, "list": n}
  latency_ms         {"mean", "p50", "p90", "p99", "max"} over every request
  errors             requests that failed (non-2xx or a connection error)
  first_error        null, or {"op", "status", "code", "message"}; status 0 is
                     a connection error
  cleanup            {"deleted": n, "errors": n, "bucket_deleted": bool}

Exit status: 0 on success, 1 when setup failed or every request failed,
2 on bad arguments.
)";
}

}  // namespace strata::bench
