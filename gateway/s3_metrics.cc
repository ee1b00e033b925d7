#include "gateway/s3_metrics.h"

#include <string>

namespace strata::gw {

S3Metrics::S3Metrics(metrics::Registry& registry)
    : requests_(registry.AddCounter("strata_s3_requests_total",
                                    "S3 requests by operation and HTTP status code.",
                                    {"api", "code"})),
      durations_(registry.AddHistogram("strata_s3_request_duration_seconds",
                                       "Time from the request header to the last response byte.",
                                       {"api"})),
      received_(registry.AddCounter("strata_s3_received_bytes_total",
                                    "Request body bytes received by the S3 listener.")
                    .With({})),
      sent_(registry.AddCounter("strata_s3_sent_bytes_total",
                                "Response bytes (headers and bodies) sent by the S3 listener.")
                .With({})),
      in_flight_(registry.AddGauge("strata_s3_requests_in_flight",
                                   "S3 requests being served right now.")
                     .With({})) {}

void S3Metrics::End(size_t api, unsigned status, uint64_t received, uint64_t sent,
                    double seconds) {
  in_flight_.Add(-1);
  if (api >= kS3ApiCount) api = 0;
  received_.Inc(received);
  sent_.Inc(sent);
  size_t slot = kStatusCount;
  for (size_t i = 0; i < kStatusCount; ++i) {
    if (kStatuses[i] == status) slot = i;
  }
  metrics::Counter* counter = nullptr;
  if (slot < kStatusCount) {
    auto& cached = counters_[api][slot];
    counter = cached.load(std::memory_order_acquire);
    if (!counter) {
      counter = &requests_.With({kS3Apis[api], std::to_string(status)});
      cached.store(counter, std::memory_order_release);
    }
  } else {
    counter = &requests_.With({kS3Apis[api], std::to_string(status)});
  }
  counter->Inc();
  metrics::Histogram* histogram = histograms_[api].load(std::memory_order_acquire);
  if (!histogram) {
    histogram = &durations_.With({kS3Apis[api]});
    histograms_[api].store(histogram, std::memory_order_release);
  }
  histogram->Observe(seconds);
}

}  // namespace strata::gw
