// The lifecycle decision for one object version or one multipart upload: which action, if
// any, a configuration asks for now. Pure: the scanner gathers the facts (from the drives'
// version records) and carries the action out; nothing here reads a clock or a disk.
//
// How S3 decides, and so how Evaluate does (user guide: "Lifecycle configuration elements",
// "How Amazon S3 calculates when an object became noncurrent", "Lifecycle configuration
// conflicts"):
//   - A rule applies when it is enabled and its filter matches: the key starts with the
//     prefix, the version carries every tag of the filter (key and value), and its size is
//     strictly inside the size bounds. Delete markers have no tags and size 0.
//   - Days count from the version's creation (current versions), from when it became
//     noncurrent, i.e. its successor's creation (noncurrent versions), or from initiation
//     (uploads), and the due time is rounded up to the next midnight UTC. A Date applies
//     from that midnight on, to every matching version, old or new.
//   - Expiration acts on the current version only (the caller removes it, or writes a delete
//     marker in a versioned bucket); a current delete marker with no other version left is
//     an "expired object delete marker", removed under ExpiredObjectDeleteMarker, or under
//     Expiration Days once it is that old. Noncurrent expiration deletes noncurrent
//     versions, delete markers included, once there are at least NewerNoncurrentVersions
//     newer noncurrent versions.
//   - When several actions are due: permanent deletion wins over transition; transition
//     wins over writing a delete marker (so a versioned bucket transitions first and
//     expires on a later pass); among transitions, the coldest class wins. Among equals, the
//     earliest due wins, then the first rule.
//   - A version never moves to the class it already has or to a warmer one, and delete
//     markers never move.
//
// Thread safety: pure functions over caller-owned values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "lifecycle/rules.h"

namespace strata::lifecycle {

// The length of a lifecycle day. The default is S3's: 24 hours, due times rounded up to
// midnight UTC. STRATA_LIFECYCLE_DAY_SECONDS (read by main) shortens the day for tests and
// demos and turns the rounding off, so that "Days 1" means one short day after creation.
struct DayLength {
  std::chrono::seconds length{86400};  // must be positive
  bool midnight_rounding = true;
};

// base + days lifecycle days; with rounding, the result rounded up to the next midnight UTC
// (a result already at midnight stays). Saturates at SysTime::max() instead of overflowing.
SysTime DueTime(SysTime base, int days, DayLength day);

// What the scanner knows of one version. Pointers and views must outlive the call.
struct VersionFacts {
  std::string_view key;
  uint64_t size = 0;
  SysTime mtime{};               // creation of this version
  const TagSet* tags = nullptr;  // nullptr: no tags
  bool is_latest = true;         // the current version of its key
  bool delete_marker = false;
  // When it became noncurrent: the creation time of the next newer version. Required for
  // noncurrent actions; without it a noncurrent version is left alone.
  std::optional<SysTime> noncurrent_since;
  // How many noncurrent versions of the key (delete markers included) are newer than this
  // one; 0 for the newest noncurrent version.
  int newer_noncurrent_versions = 0;
  // No other version of the key exists (for expired object delete markers).
  bool only_version = false;
  std::string_view storage_class = "STANDARD";
  // Versioning is or was enabled: expiring the current version writes a delete marker
  // (not a permanent deletion, so a due transition goes first).
  bool versioned_bucket = false;
};

struct Action {
  enum Kind {
    kNone,
    kExpireCurrent,  // the current version: a delete marker in a versioned bucket, removal
                     // otherwise (the caller decides)
    kDeleteVersion,  // a noncurrent version (or noncurrent delete marker), for good
    kDeleteMarker,   // an expired object delete marker: the current, only version
    kTransition,     // move the version's data to storage_class
  };
  Kind kind = kNone;
  std::string storage_class;  // kTransition only
  std::string rule_id;        // the rule that asks for it
  SysTime due{};              // when it became due (<= now)
};

// class_rank orders storage classes and tiers by temperature: higher is colder, STANDARD
// lowest. Returns kNone when nothing is due at `now`.
Action Evaluate(const Configuration& config, const VersionFacts& version, SysTime now,
                DayLength day, const std::function<int(std::string_view)>& class_rank);

// Whether an incomplete multipart upload of `key`, initiated at `initiated`, is due for
// AbortIncompleteMultipartUpload. Only prefix filters can accompany that action; a filter
// with tags or sizes (which only code could build) never matches an upload.
bool ShouldAbortUpload(const Configuration& config, std::string_view key, SysTime initiated,
                       SysTime now, DayLength day);

}  // namespace strata::lifecycle
