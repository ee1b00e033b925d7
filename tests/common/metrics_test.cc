#include "common/metrics.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace strata::metrics {
namespace {

bool Contains(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST_CASE("counters with labels render in the text format", "[metrics]") {
  Registry r;
  auto& requests = r.AddCounter("strata_s3_requests_total", "S3 requests.", {"api", "code"});
  requests.With({"GetObject", "200"}).Inc();
  requests.With({"GetObject", "200"}).Inc(2);
  requests.With({"PutObject", "503"}).Inc();
  const std::string text = r.Render();
  CHECK(Contains(text, "# HELP strata_s3_requests_total S3 requests."));
  CHECK(Contains(text, "# TYPE strata_s3_requests_total counter"));
  CHECK(Contains(text, "strata_s3_requests_total{api=\"GetObject\",code=\"200\"} 3"));
  CHECK(Contains(text, "strata_s3_requests_total{api=\"PutObject\",code=\"503\"} 1"));
  // The same name returns the same family; the same labels the same child.
  CHECK(&r.AddCounter("strata_s3_requests_total", "again", {"api", "code"}) == &requests);
  CHECK(&requests.With({"GetObject", "200"}) == &requests.With(Labels{"GetObject", "200"}));
}

TEST_CASE("gauges, unlabelled families and escaping", "[metrics]") {
  Registry r;
  r.AddGauge("strata_inflight", "In flight.").With({}).Set(3);
  auto& g = r.AddGauge("strata_odd", "Help with \\ and\nnewline.", {"path"});
  g.With({"a\"b\\c\nd"}).Set(-1.5);
  const std::string text = r.Render();
  CHECK(Contains(text, "strata_inflight 3"));
  CHECK(Contains(text, "# HELP strata_odd Help with \\\\ and\\nnewline."));
  CHECK(Contains(text, "strata_odd{path=\"a\\\"b\\\\c\\nd\"} -1.5"));
}

TEST_CASE("histograms: cumulative buckets, sum and count", "[metrics]") {
  Registry r;
  auto& h = r.AddHistogram("strata_latency_seconds", "Latency.", {"api"}, {0.1, 1, 10});
  auto& get = h.With({"GetObject"});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) get.Observe(v);
  const std::string text = r.Render();
  CHECK(Contains(text, "# TYPE strata_latency_seconds histogram"));
  CHECK(Contains(text, "strata_latency_seconds_bucket{api=\"GetObject\",le=\"0.1\"} 2"));
  CHECK(Contains(text, "strata_latency_seconds_bucket{api=\"GetObject\",le=\"1\"} 3"));
  CHECK(Contains(text, "strata_latency_seconds_bucket{api=\"GetObject\",le=\"10\"} 4"));
  CHECK(Contains(text, "strata_latency_seconds_bucket{api=\"GetObject\",le=\"+Inf\"} 5"));
  CHECK(Contains(text, "strata_latency_seconds_count{api=\"GetObject\"} 5"));
  CHECK(get.sum() == Approx(55.65));
}

TEST_CASE("collectors report at scrape time", "[metrics]") {
  Registry r;
  double online = 1;
  r.AddCollector("strata_drive_online", "Drive online.", Kind::kGauge, {"pool", "drive"},
                 [&] { return std::vector<Sample>{{{"hot", "drive1"}, online}}; });
  CHECK(Contains(r.Render(), "strata_drive_online{pool=\"hot\",drive=\"drive1\"} 1"));
  online = 0;
  CHECK(Contains(r.Render(), "strata_drive_online{pool=\"hot\",drive=\"drive1\"} 0"));
}

TEST_CASE("concurrent increments and lookups lose nothing", "[metrics]") {
  Registry r;
  auto& family = r.AddCounter("strata_c_total", "c", {"t"});
  auto& hist = r.AddHistogram("strata_h_seconds", "h", {}, {1});
  constexpr int kThreads = 4, kEach = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = family.With({std::to_string(t % 2)});
      for (int i = 0; i < kEach; ++i) {
        mine.Inc();
        hist.With({}).Observe(0.5);
        if (i % 1000 == 0) (void)r.Render();  // scrapes race with updates
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(family.With({"0"}).value() + family.With({"1"}).value() == kThreads * kEach);
  CHECK(hist.With({}).count() == uint64_t(kThreads * kEach));
  CHECK(hist.With({}).sum() == Approx(kThreads * kEach * 0.5));
}

}  // namespace
}  // namespace strata::metrics
