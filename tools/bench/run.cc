// A benchmark run from start to end, and the presign helper.
#include "tools/bench/run.h"

#include <chrono>

#include "common/clock.h"
#include "gateway/sigv4.h"
#include "gateway/uri.h"
#include "tools/bench/bench.h"

namespace strata::bench {

namespace {

// Sums the workers' results of the measured phase.
Report Collect(const Options& o, Bench& bench, size_t prepared,
               std::chrono::duration<double> elapsed) {
  Report r;
  r.workload = std::string(WorkloadName(o.workload));
  r.endpoint = o.endpoint;
  r.bucket = bench.bucket;
  r.size_bytes = o.size;
  r.concurrency = o.concurrency;
  r.threads = o.threads;
  r.objects_prepared = prepared;
  r.duration_s = elapsed.count();
  uint64_t keys = 0;
  SteadyTime first_error_at = SteadyTime::max();
  for (const auto& w : bench.workers()) {
    r.ops += w->ops;
    r.bytes += w->bytes;
    keys += w->keys;
    r.errors += w->errors;
    r.latency.Merge(w->latency);
    r.by_type.get += w->counts.get;
    r.by_type.put += w->counts.put;
    r.by_type.head += w->counts.head;
    r.by_type.del += w->counts.del;
    r.by_type.list += w->counts.list;
    if (w->first_error && w->first_error_at < first_error_at) {
      r.first_error = w->first_error;
      first_error_at = w->first_error_at;
    }
  }
  if (o.workload == Workload::kList) r.keys = keys;
  return r;
}


// The url workload: no bucket, nothing to prepare or clean up.
Result<Report> RunUrl(const Options& o) {
  STRATA_ASSIGN_OR_RETURN(ResolvedUrl url, ResolveUrl(o.url));
  Bench bench(o, std::move(url.endpoint));
  bench.url_target = std::move(url.target);
  std::chrono::duration<double> elapsed = Measure(bench, 0);
  Report r = Collect(o, bench, 0, elapsed);
  r.endpoint = o.url;
  return r;
}

}  // namespace

Result<Report> RunBenchmark(const Options& o) {
  if (o.workload == Workload::kUrl) return RunUrl(o);
  STRATA_ASSIGN_OR_RETURN(Endpoint endpoint, ResolveEndpoint(o.endpoint));
  Bench bench(o, std::move(endpoint));
  STRATA_ASSIGN_OR_RETURN(bool bucket_owned, SetUpBucket(bench));

  size_t prepared = 0;
  if (o.workload != Workload::kPut) {
    prepared = o.objects ? o.objects : DefaultObjects(o);
    if (Status s = PrepareObjects(bench, prepared); !s.ok()) {
      CleanupResult cleanup = CleanUp(bench, bucket_owned);
      if (cleanup.errors > 0 && cleanup.first_error) {
        return Status(s.code(), std::string(s.message()) + "; clean-up also failed: " +
                                    DescribeError(*cleanup.first_error));
      }
      return s;
    }
  }

  std::chrono::duration<double> elapsed = Measure(bench, prepared);
  Report r = Collect(o, bench, prepared, elapsed);
  r.cleanup = CleanUp(bench, bucket_owned);
  return r;
}

Result<std::string> PresignUrl(const Options& o) {
  STRATA_ASSIGN_OR_RETURN(Endpoint endpoint, ResolveEndpoint(o.endpoint));
  std::string target = "/" + o.bucket;
  if (!o.key.empty()) target += "/" + gw::UriEncode(o.key, /*encode_slash=*/false);
  gw::SigV4Credentials creds{o.access_key, o.secret_key, o.region, "s3"};
  STRATA_ASSIGN_OR_RETURN(std::string signed_target,
                          gw::PresignV4(o.method, target, endpoint.host_header, creds,
                                        Clock::Real().Now(), o.expires_seconds));
  return "http://" + endpoint.host_header + signed_target;
}

}  // namespace strata::bench
