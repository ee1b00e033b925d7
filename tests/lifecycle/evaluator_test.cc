// The lifecycle decision for one version: filters, S3's day arithmetic, dates, noncurrent
// versions, delete markers, precedence between actions, and multipart uploads.

#include "lifecycle/evaluator.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/lifecycle/helpers.h"

namespace strata::lifecycle {
namespace {

using namespace std::chrono_literals;
using testing::ClassRank;
using testing::Doc;
using testing::MustParse;
using testing::T;

constexpr DayLength kAws{};  // 24 h, midnight rounding

Configuration Config(std::string_view rules) { return MustParse(Doc(rules)); }

Action Eval(const Configuration& c, const VersionFacts& v, SysTime now, DayLength day = kAws) {
  return Evaluate(c, v, now, day, ClassRank);
}

VersionFacts Current(std::string_view key, SysTime mtime) {
  VersionFacts v;
  v.key = key;
  v.size = 1000;
  v.mtime = mtime;
  return v;
}

TEST_CASE("DueTime adds days and rounds up to midnight UTC, as S3 does", "[evaluator]") {
  // The user guide's example: created 2014-01-15 10:30 UTC, 3 days -> 2014-01-19 00:00 UTC.
  CHECK(DueTime(T("2014-01-15T10:30:00Z"), 3, kAws) == T("2014-01-19T00:00:00Z"));
  // A result already at midnight stays.
  CHECK(DueTime(T("2014-01-15T00:00:00Z"), 3, kAws) == T("2014-01-18T00:00:00Z"));
  // One microsecond after midnight waits for the next one.
  CHECK(DueTime(T("2014-01-15T00:00:00.000001Z"), 0, kAws) == T("2014-01-16T00:00:00Z"));
  CHECK(DueTime(T("2014-01-15T23:59:59Z"), 0, kAws) == T("2014-01-16T00:00:00Z"));
  // Before 1970 the rounding still goes up, not towards zero.
  CHECK(DueTime(T("1969-12-31T12:00:00Z"), 0, kAws) == T("1970-01-01T00:00:00Z"));
  // Without rounding: exactly days * length.
  const DayLength short_day{10s, false};
  CHECK(DueTime(T("2014-01-15T10:30:00Z"), 3, short_day) == T("2014-01-15T10:30:30Z"));
  CHECK(DueTime(T("2014-01-15T10:30:00.5Z"), 0, short_day) == T("2014-01-15T10:30:00.5Z"));
  // Saturates instead of wrapping around.
  CHECK(DueTime(T("2014-01-15T10:30:00Z"), std::numeric_limits<int>::max(), kAws) ==
        SysTime::max());
  CHECK(DueTime(SysTime::max(), 1, DayLength{1s, false}) == SysTime::max());
  CHECK(DueTime(T("2014-01-15T10:30:00Z"), 2000000000, DayLength{86400s, false}) == SysTime::max());
}

TEST_CASE("Expiration Days expires the current version at its rounded due time", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>exp</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>3</Days></Expiration></Rule>");
  const VersionFacts v = Current("logs/a", T("2014-01-15T10:30:00Z"));
  CHECK(Eval(c, v, T("2014-01-18T23:59:59Z")).kind == Action::kNone);
  const Action a = Eval(c, v, T("2014-01-19T00:00:00Z"));
  CHECK(a.kind == Action::kExpireCurrent);
  CHECK(a.rule_id == "exp");
  CHECK(a.due == T("2014-01-19T00:00:00Z"));
  CHECK(a.storage_class.empty());
  // Another prefix, or a disabled rule, does nothing.
  CHECK(Eval(c, Current("data/a", v.mtime), T("2020-01-01T00:00:00Z")).kind == Action::kNone);
  Configuration disabled = c;
  disabled.rules[0].enabled = false;
  CHECK(Eval(disabled, v, T("2020-01-01T00:00:00Z")).kind == Action::kNone);
}

TEST_CASE("A shortened day has no midnight rounding", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>exp</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>2</Days></Expiration></Rule>");
  const DayLength day{5s, false};
  const VersionFacts v = Current("k", T("2024-03-01T10:00:00Z"));
  CHECK(Eval(c, v, T("2024-03-01T10:00:09Z"), day).kind == Action::kNone);
  CHECK(Eval(c, v, T("2024-03-01T10:00:10Z"), day).kind == Action::kExpireCurrent);
}

TEST_CASE("Date-based actions apply from the date on, to old and new versions", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>d</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Date>2030-01-01</Date><StorageClass>GLACIER</StorageClass></Transition>"
      "<Expiration><Date>2031-01-01</Date></Expiration></Rule>");
  const VersionFacts old_version = Current("k", T("2020-05-05T05:05:05Z"));
  CHECK(Eval(c, old_version, T("2029-12-31T23:59:59Z")).kind == Action::kNone);
  Action a = Eval(c, old_version, T("2030-01-01T00:00:00Z"));
  CHECK(a.kind == Action::kTransition);
  CHECK(a.storage_class == "GLACIER");
  CHECK(a.due == T("2030-01-01T00:00:00Z"));
  // Created after the date: due at once.
  const VersionFacts new_version = Current("k", T("2030-06-01T12:00:00Z"));
  CHECK(Eval(c, new_version, T("2030-06-01T12:00:01Z")).kind == Action::kTransition);
  // Past the expiration date, in an unversioned bucket, deletion wins.
  CHECK(Eval(c, new_version, T("2031-01-01T00:00:00Z")).kind == Action::kExpireCurrent);
}

TEST_CASE("Filters: every tag, strict size bounds, prefix", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>f</ID><Filter><And><Prefix>d/</Prefix>"
      "<Tag><Key>tier</Key><Value>cold</Value></Tag><Tag><Key>team</Key><Value>ml</Value></Tag>"
      "<ObjectSizeGreaterThan>100</ObjectSizeGreaterThan>"
      "<ObjectSizeLessThan>200</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>"
      "<Expiration><Days>1</Days></Expiration></Rule>");
  const SysTime now = T("2030-01-01T00:00:00Z");
  const TagSet both = {{"x", "y"}, {"team", "ml"}, {"tier", "cold"}};
  const TagSet one = {{"tier", "cold"}};
  const TagSet wrong_value = {{"tier", "hot"}, {"team", "ml"}};
  auto version = [&](std::string_view key, uint64_t size, const TagSet* tags) {
    VersionFacts v = Current(key, T("2020-01-01T00:00:00Z"));
    v.size = size;
    v.tags = tags;
    return v;
  };
  CHECK(Eval(c, version("d/a", 150, &both), now).kind == Action::kExpireCurrent);
  CHECK(Eval(c, version("d/a", 101, &both), now).kind == Action::kExpireCurrent);
  CHECK(Eval(c, version("d/a", 199, &both), now).kind == Action::kExpireCurrent);
  CHECK(Eval(c, version("d/a", 100, &both), now).kind == Action::kNone);
  CHECK(Eval(c, version("d/a", 200, &both), now).kind == Action::kNone);
  CHECK(Eval(c, version("d/a", 150, &one), now).kind == Action::kNone);
  CHECK(Eval(c, version("d/a", 150, &wrong_value), now).kind == Action::kNone);
  CHECK(Eval(c, version("d/a", 150, nullptr), now).kind == Action::kNone);
  CHECK(Eval(c, version("e/a", 150, &both), now).kind == Action::kNone);
}

TEST_CASE("Transitions: the coldest due class wins, never warmer, never the same", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>ia</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
      "<Transition><Days>20</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"
      "<Rule><ID>ir</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Days>5</Days><StorageClass>GLACIER_IR</StorageClass></Transition></Rule>");
  VersionFacts v = Current("k", T("2024-01-01T00:00:00Z"));
  CHECK(Eval(c, v, T("2024-01-05T23:00:00Z")).kind == Action::kNone);
  Action a = Eval(c, v, T("2024-01-06T00:00:00Z"));
  CHECK(a.kind == Action::kTransition);
  CHECK(a.storage_class == "GLACIER_IR");
  CHECK(a.rule_id == "ir");
  // Day 10: STANDARD_IA is due too, but GLACIER_IR is colder.
  a = Eval(c, v, T("2024-01-11T00:00:00Z"));
  CHECK(a.storage_class == "GLACIER_IR");
  // Once in GLACIER_IR, STANDARD_IA would be warmer and GLACIER_IR the same: nothing.
  v.storage_class = "GLACIER_IR";
  CHECK(Eval(c, v, T("2024-01-11T00:00:00Z")).kind == Action::kNone);
  // Day 20: GLACIER.
  a = Eval(c, v, T("2024-01-21T00:00:00Z"));
  CHECK(a.kind == Action::kTransition);
  CHECK(a.storage_class == "GLACIER");
  CHECK(a.rule_id == "ia");
  CHECK(a.due == T("2024-01-21T00:00:00Z"));
  v.storage_class = "GLACIER";
  CHECK(Eval(c, v, T("2030-01-01T00:00:00Z")).kind == Action::kNone);
  // Without a ranking nothing is colder than anything: nothing moves.
  CHECK(Evaluate(c, Current("k", v.mtime), T("2030-01-01T00:00:00Z"), kAws, nullptr).kind ==
        Action::kNone);
}

TEST_CASE("Precedence of expiration and transition depends on versioning", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>t</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
      "<Expiration><Days>2</Days></Expiration></Rule>");
  const SysTime now = T("2024-02-01T00:00:00Z");  // both long due
  VersionFacts v = Current("k", T("2024-01-01T00:00:00Z"));
  // Unversioned: expiring is a permanent deletion and beats the transition.
  CHECK(Eval(c, v, now).kind == Action::kExpireCurrent);
  // Versioned: expiring writes a delete marker; the transition goes first...
  v.versioned_bucket = true;
  const Action a = Eval(c, v, now);
  CHECK(a.kind == Action::kTransition);
  CHECK(a.storage_class == "GLACIER");
  // ...and the next pass, with the version in GLACIER, expires it.
  v.storage_class = "GLACIER";
  CHECK(Eval(c, v, now).kind == Action::kExpireCurrent);
  // Expiration due and the transition not yet: expire.
  const Configuration late = Config(
      "<Rule><ID>t</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Days>100</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"
      "<Rule><ID>e</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>2</Days></Expiration></Rule>");
  VersionFacts fresh = Current("k", T("2024-01-01T00:00:00Z"));
  fresh.versioned_bucket = true;
  CHECK(Eval(late, fresh, now).kind == Action::kExpireCurrent);
}

TEST_CASE("Overlapping expirations: the earliest due is the one reported", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>long</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>30</Days></Expiration></Rule>"
      "<Rule><ID>short</ID><Filter><Prefix>k</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Days>10</Days></Expiration></Rule>"
      "<Rule><ID>short-too</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>10</Days></Expiration></Rule>");
  const Action a = Eval(c, Current("k", T("2024-01-01T00:00:00Z")), T("2024-06-01T00:00:00Z"));
  CHECK(a.kind == Action::kExpireCurrent);
  CHECK(a.rule_id == "short");  // first of the two earliest
  CHECK(a.due == T("2024-01-11T00:00:00Z"));
}

TEST_CASE("Noncurrent versions count from when they became noncurrent", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>nc</ID><Filter/><Status>Enabled</Status>"
      "<NoncurrentVersionTransition><NoncurrentDays>5</NoncurrentDays>"
      "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
      "<NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays>"
      "</NoncurrentVersionExpiration>"
      "<Expiration><Days>1000</Days></Expiration></Rule>");
  VersionFacts v = Current("k", T("2020-01-01T00:00:00Z"));  // created long ago
  v.is_latest = false;
  v.versioned_bucket = true;
  v.noncurrent_since = T("2024-01-10T12:00:00Z");
  CHECK(Eval(c, v, T("2024-01-15T23:59:59Z")).kind == Action::kNone);
  Action a = Eval(c, v, T("2024-01-16T00:00:00Z"));
  CHECK(a.kind == Action::kTransition);
  CHECK(a.storage_class == "GLACIER");
  CHECK(a.due == T("2024-01-16T00:00:00Z"));
  // Permanent deletion beats the transition once both are due.
  a = Eval(c, v, T("2024-02-10T00:00:00Z"));
  CHECK(a.kind == Action::kDeleteVersion);
  CHECK(a.rule_id == "nc");
  CHECK(a.due == T("2024-02-10T00:00:00Z"));
  // Expiration (current versions only) never touches a noncurrent one.
  v.storage_class = "GLACIER";
  CHECK(Eval(c, v, T("2024-02-09T00:00:00Z")).kind == Action::kNone);
  // Without the time it became noncurrent nothing can be computed.
  v.noncurrent_since.reset();
  CHECK(Eval(c, v, T("2030-01-01T00:00:00Z")).kind == Action::kNone);
}

TEST_CASE("NewerNoncurrentVersions keeps the N newest noncurrent versions", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>keep2</ID><Filter/><Status>Enabled</Status>"
      "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
      "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
      "<NoncurrentVersionTransition><NoncurrentDays>0</NoncurrentDays>"
      "<NewerNoncurrentVersions>1</NewerNoncurrentVersions>"
      "<StorageClass>archive</StorageClass></NoncurrentVersionTransition></Rule>");
  const SysTime now = T("2030-01-01T00:00:00Z");
  auto noncurrent = [&](int newer) {
    VersionFacts v = Current("k", T("2024-01-01T00:00:00Z"));
    v.is_latest = false;
    v.versioned_bucket = true;
    v.noncurrent_since = T("2024-01-02T00:00:00Z");
    v.newer_noncurrent_versions = newer;
    return v;
  };
  CHECK(Eval(c, noncurrent(0), now).kind == Action::kNone);        // the newest: kept
  CHECK(Eval(c, noncurrent(1), now).kind == Action::kTransition);  // kept, but archived
  CHECK(Eval(c, noncurrent(2), now).kind == Action::kDeleteVersion);
  CHECK(Eval(c, noncurrent(7), now).kind == Action::kDeleteVersion);
  // Days still matter: a version noncurrent for less than a day stays.
  VersionFacts young = noncurrent(5);
  young.noncurrent_since = T("2029-12-31T12:00:00Z");
  CHECK(Eval(c, young, now).kind == Action::kTransition);  // NoncurrentDays 0: next midnight
}

TEST_CASE("Delete markers: expired ones go when alone, noncurrent ones expire, none move",
          "[evaluator]") {
  const Configuration eodm = Config(
      "<Rule><ID>dm</ID><Filter><Prefix>k</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
      "<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays>"
      "</NoncurrentVersionExpiration>"
      "<NoncurrentVersionTransition><NoncurrentDays>0</NoncurrentDays>"
      "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition></Rule>");
  VersionFacts marker = Current("k", T("2024-01-01T10:00:00Z"));
  marker.delete_marker = true;
  marker.versioned_bucket = true;
  marker.size = 0;
  const SysTime now = T("2024-03-01T00:00:00Z");

  // A current marker with versions beneath it stays.
  CHECK(Eval(eodm, marker, now).kind == Action::kNone);
  // Alone, it goes (at the next midnight with S3's rounding, at once without).
  marker.only_version = true;
  CHECK(Eval(eodm, marker, T("2024-01-01T23:59:59Z")).kind == Action::kNone);
  Action a = Eval(eodm, marker, T("2024-01-02T00:00:00Z"));
  CHECK(a.kind == Action::kDeleteMarker);
  CHECK(a.rule_id == "dm");
  CHECK(Eval(eodm, marker, marker.mtime, DayLength{1s, false}).kind == Action::kDeleteMarker);

  // ExpiredObjectDeleteMarker false does nothing.
  const Configuration off = Config(
      "<Rule><ID>off</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><ExpiredObjectDeleteMarker>false</ExpiredObjectDeleteMarker></Expiration>"
      "</Rule>");
  CHECK(Eval(off, marker, now).kind == Action::kNone);

  // Expiration Days removes a lone marker once it is that old; a Date never does.
  const Configuration days = Config(
      "<Rule><ID>days</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>10</Days></Expiration></Rule>"
      "<Rule><ID>date</ID><Filter><Prefix>x</Prefix></Filter><Status>Enabled</Status>"
      "<Expiration><Date>2020-01-01</Date></Expiration></Rule>");
  CHECK(Eval(days, marker, T("2024-01-11T00:00:00Z")).kind == Action::kNone);
  a = Eval(days, marker, T("2024-01-12T00:00:00Z"));
  CHECK(a.kind == Action::kDeleteMarker);
  CHECK(a.rule_id == "days");
  VersionFacts marker_x = marker;
  marker_x.key = "x";
  CHECK(Eval(days, marker_x, now).kind == Action::kDeleteMarker);  // by "days", not "date"
  Configuration date_only = days;
  date_only.rules.erase(date_only.rules.begin());
  CHECK(Eval(date_only, marker_x, now).kind == Action::kNone);

  // Tag and size filters never match a marker (no tags, size 0), whatever facts say.
  Configuration tagged = days;
  tagged.rules[0].filter.tags = {{"a", "b"}};
  const TagSet tags = {{"a", "b"}};
  VersionFacts tagged_marker = marker;
  tagged_marker.tags = &tags;
  tagged_marker.size = 50;
  CHECK(Eval(tagged, tagged_marker, now).kind == Action::kNone);

  // A noncurrent marker is a noncurrent version: it expires, and is never transitioned.
  VersionFacts old_marker = marker;
  old_marker.is_latest = false;
  old_marker.only_version = false;
  old_marker.noncurrent_since = T("2024-01-05T00:00:00Z");
  CHECK(Eval(eodm, old_marker, T("2024-01-06T00:00:00Z")).kind == Action::kNone);
  a = Eval(eodm, old_marker, T("2024-01-07T00:00:00Z"));
  CHECK(a.kind == Action::kDeleteVersion);
}

TEST_CASE("A current version's Expiration is not applied to a current delete marker",
          "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>e</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Date>2019-01-01</Date><StorageClass>GLACIER</StorageClass></Transition>"
      "<Expiration><Date>2020-01-01</Date></Expiration></Rule>");
  VersionFacts marker = Current("k", T("2024-01-01T00:00:00Z"));
  marker.delete_marker = true;
  marker.versioned_bucket = true;
  CHECK(Eval(c, marker, T("2030-01-01T00:00:00Z")).kind == Action::kNone);
}

TEST_CASE("Incomplete multipart uploads are aborted after DaysAfterInitiation", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>mpu</ID><Filter><Prefix>up/</Prefix></Filter><Status>Enabled</Status>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>"
      "<Rule><ID>off</ID><Filter/><Status>Disabled</Status>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>");
  const SysTime initiated = T("2024-05-01T15:00:00Z");
  CHECK_FALSE(ShouldAbortUpload(c, "up/a", initiated, T("2024-05-03T23:59:59Z"), kAws));
  CHECK(ShouldAbortUpload(c, "up/a", initiated, T("2024-05-04T00:00:00Z"), kAws));
  CHECK_FALSE(ShouldAbortUpload(c, "down/a", initiated, T("2030-01-01T00:00:00Z"), kAws));
  const DayLength day{30s, false};
  CHECK_FALSE(ShouldAbortUpload(c, "up/a", initiated, initiated + 59s, day));
  CHECK(ShouldAbortUpload(c, "up/a", initiated, initiated + 60s, day));
  // A tag filter, which only code can put beside the action, never matches an upload.
  Configuration tagged = c;
  tagged.rules[0].filter.tags = {{"a", "b"}};
  CHECK_FALSE(ShouldAbortUpload(tagged, "up/a", initiated, T("2030-01-01T00:00:00Z"), kAws));
}

TEST_CASE("Extreme days saturate instead of firing early", "[evaluator]") {
  const Configuration c = Config(
      "<Rule><ID>forever</ID><Filter/><Status>Enabled</Status>"
      "<Expiration><Days>2147483647</Days></Expiration></Rule>");
  const VersionFacts v = Current("k", T("2024-01-01T00:00:00Z"));
  CHECK(Eval(c, v, T("9999-12-31T23:59:59Z")).kind == Action::kNone);
  CHECK(Eval(c, v, T("9999-12-31T23:59:59Z"), DayLength{86400s, false}).kind == Action::kNone);
}

}  // namespace
}  // namespace strata::lifecycle
