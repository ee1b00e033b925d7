// S3Service: turns one HTTP exchange into one S3 operation. It authenticates
// (SigV4/SigV2), routes by method, path and sub-resource to a handler, builds
// the request body stream (aws-chunked decoding, length and digest checks) and
// renders every failure as S3 error XML in exactly one place.
//
// Thread safety: Handle may run concurrently on every I/O thread; the service
// itself is immutable after construction.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "gateway/exchange.h"
#include "gateway/object_layer.h"

namespace strata::gw {

class S3Metrics;
class UserStore;

struct Credentials {
  std::string access_key;
  std::string secret_key;
};

struct S3ServiceOptions {
  ObjectLayer* objects = nullptr;
  Credentials root;                     // the one account in this issue
  std::string region = "us-east-1";
  Clock* clock = &Clock::Real();
  uint64_t max_object_size = 5ull << 40;  // 5 TiB as S3; single PUT max is 5 GiB
  S3Metrics* metrics = nullptr;           // optional; outlives the service
  // Users besides `root` (which it also answers for); nullptr = root only.
  const UserStore* users = nullptr;
  bool access_log = false;  // one log line per request
};

class S3Service {
 public:
  explicit S3Service(S3ServiceOptions options);
  Task<void> Handle(Exchange& exchange);

 private:
  // What the access log and metrics need once a request is done.
  struct Outcome {
    size_t api = 0;  // index into kS3Apis (gateway/s3_metrics.h)
    std::string request_id, bucket, key, access_key;
    Status status;
  };
  Task<void> Serve(Exchange& exchange, Outcome& out);

  S3ServiceOptions options_;
};

}  // namespace strata::gw
