// S3Metrics: the request-path metrics of the S3 listener, on a
// metrics::Registry: strata_s3_requests_total{api,code},
// strata_s3_request_duration_seconds{api}, strata_s3_received_bytes_total,
// strata_s3_sent_bytes_total, strata_s3_requests_in_flight.
//
// APIs are a fixed table (the S3 operation names), indexed at compile time,
// so recording a request is a few relaxed atomic adds on children cached per
// (api, status): no lock after the first request of a kind.
//
// Thread safety: all methods are thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "common/metrics.h"

namespace strata::gw {

inline constexpr std::string_view kS3Apis[] = {
    "Unknown",
    "ListBuckets", "CreateBucket", "HeadBucket", "DeleteBucket", "GetBucketLocation",
    "GetBucketVersioning", "PutBucketVersioning", "GetBucketTagging", "PutBucketTagging",
    "DeleteBucketTagging", "GetObjectLockConfiguration", "PutObjectLockConfiguration",
    "ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads",
    "DeleteObjects", "PutObject", "GetObject", "HeadObject", "DeleteObject", "CopyObject",
    "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectRetention",
    "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold", "CreateMultipartUpload",
    "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload",
    "ListParts", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration",
    "DeleteBucketLifecycle"};
inline constexpr size_t kS3ApiCount = std::size(kS3Apis);

// The index of an API name; a name not in the table fails to compile.
consteval size_t S3ApiIndex(std::string_view name) {
  for (size_t i = 0; i < kS3ApiCount; ++i) {
    if (kS3Apis[i] == name) return i;
  }
  throw "unknown S3 API name";
}

class S3Metrics {
 public:
  explicit S3Metrics(metrics::Registry& registry);

  void Begin() { in_flight_.Add(1); }
  // One finished request: its API, HTTP status (0 = no response sent), body
  // and response bytes and duration.
  void End(size_t api, unsigned status, uint64_t received, uint64_t sent, double seconds);

 private:
  // Statuses with a cached child; others go through the family's lookup.
  static constexpr unsigned kStatuses[] = {200, 204, 206, 304, 400, 403, 404,
                                           405, 409, 412, 416, 500, 501, 503};
  static constexpr size_t kStatusCount = std::size(kStatuses);

  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& durations_;
  metrics::Counter& received_;
  metrics::Counter& sent_;
  metrics::Gauge& in_flight_;
  std::array<std::array<std::atomic<metrics::Counter*>, kStatusCount + 1>, kS3ApiCount> counters_{};
  std::array<std::atomic<metrics::Histogram*>, kS3ApiCount> histograms_{};
};

}  // namespace strata::gw
