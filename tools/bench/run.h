// strata-bench's two entry points: a whole benchmark run (bucket, prepared
// objects, the measured workload, clean-up) and the presign helper.
//
// Thread safety: call from one thread; a run starts and joins its own threads.
#pragma once

#include <string>

#include "common/status.h"
#include "tools/bench/options.h"
#include "tools/bench/report.h"

namespace strata::bench {

// Fails (kUnavailable, with a message for the user) when the endpoint can not
// be reached or the bucket or the prepared objects can not be made; then
// whatever was made is removed again. Request errors during the measured
// phase do not fail it: they are counted in the Report.
Result<Report> RunBenchmark(const Options& options);

// "http://host:port/bucket/key?X-Amz-...": a SigV4 presigned URL for
// options.method on options.bucket / options.key, valid options.expires_seconds.
Result<std::string> PresignUrl(const Options& options);

}  // namespace strata::bench
