// Shared by the lifecycle tests: documents, times and the storage classes of a test cluster.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "common/timefmt.h"
#include "lifecycle/rules.h"

namespace strata::lifecycle::testing {

inline constexpr std::string_view kNs = "http://s3.amazonaws.com/doc/2006-03-01/";

// A LifecycleConfiguration in the S3 namespace around `rules`.
inline std::string Doc(std::string_view rules) {
  return "<LifecycleConfiguration xmlns=\"" + std::string(kNs) + "\">" + std::string(rules) +
         "</LifecycleConfiguration>";
}

// The classes a test cluster knows: two pools' classes and an archive tier.
inline bool KnownClass(std::string_view c) {
  return c == "STANDARD_IA" || c == "GLACIER_IR" || c == "GLACIER" || c == "archive";
}

// Temperature: STANDARD < STANDARD_IA < GLACIER_IR < GLACIER < archive.
inline int ClassRank(std::string_view c) {
  if (c == "STANDARD_IA") return 1;
  if (c == "GLACIER_IR") return 2;
  if (c == "GLACIER") return 3;
  if (c == "archive") return 4;
  return 0;
}

inline SysTime T(std::string_view iso) {
  auto t = ParseIso8601(iso);
  REQUIRE(t.has_value());
  return *t;
}

inline Result<Configuration> Parse(std::string_view xml) {
  return ParseConfiguration(xml, KnownClass);
}

inline Configuration MustParse(std::string_view xml) {
  Result<Configuration> r = Parse(xml);
  INFO(xml);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

}  // namespace strata::lifecycle::testing
