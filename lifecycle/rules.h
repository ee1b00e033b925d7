// The S3 lifecycle configuration of a bucket: its rules as plain values, the XML of
// Put/GetBucketLifecycleConfiguration, and AWS's validation of it.
//
//   <LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Rule>                                  1..1000
//       <ID>text</ID>                         optional, <= 255 characters, unique
//       <Filter>                              either a Filter (Lifecycle V2) ...
//         <Prefix> | <Tag><Key/><Value/></Tag> | <ObjectSizeGreaterThan> |
//         <ObjectSizeLessThan> | <And>(Prefix? Tag* ObjectSizeGreaterThan?
//                                      ObjectSizeLessThan?)</And>       at most one
//       </Filter>
//       <Prefix>text</Prefix>                 ... or a rule-level Prefix (V1, deprecated)
//       <Status>Enabled|Disabled</Status>
//       <Expiration> Days | Date | ExpiredObjectDeleteMarker </Expiration>
//       <Transition> (Days | Date) StorageClass </Transition>                 0..n
//       <NoncurrentVersionExpiration> NoncurrentDays NewerNoncurrentVersions?
//       <NoncurrentVersionTransition> NoncurrentDays NewerNoncurrentVersions?
//                                     StorageClass </NoncurrentVersionTransition> 0..n
//       <AbortIncompleteMultipartUpload> DaysAfterInitiation
//     </Rule>
//   </LifecycleConfiguration>
//
// Errors are the ones S3 answers (each case, and where AWS's documents were silent, is
// listed in rules_validate.cc):
//   - larger than max_bytes                                  -> kMaxMessageLengthExceeded
//   - not XML, DOCTYPE/entities, an unknown or repeated element, a required one missing,
//     a number or date or boolean that does not parse, more than one of an exclusive choice
//                                                            -> kMalformedXML
//   - a value S3's rules refuse (Days <= 0, Date not at midnight UTC, duplicate IDs...)
//                                                            -> kInvalidArgument / kInvalidRequest
//   - a storage class the cluster does not know              -> kInvalidStorageClass
// Not enforced, on purpose: AWS's pricing minimums (30 days before STANDARD_IA, 128 KiB
// objects), as MinIO does not either; tests shorten days, and our cold pool has no minimum
// storage charge.
//
// Thread safety: plain values and pure functions. pugixml stays inside the .cc files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace strata::lifecycle {

// Limits. AWS documents 1000 rules and 255-character IDs. It documents no body size; 1 MiB
// (MinIO's choice) holds 1000 rules with long prefixes and several tags each.
inline constexpr size_t kMaxConfigurationBytes = 1 << 20;
inline constexpr size_t kMaxRules = 1000;
inline constexpr size_t kMaxIdChars = 255;
inline constexpr size_t kMaxPrefixBytes = 1024;  // the longest key
inline constexpr size_t kMaxFilterTags = 10;     // the most tags an object can hold
inline constexpr int kMaxNewerNoncurrentVersions = 100;
inline constexpr uint64_t kMaxFilterObjectSize = 1099511627776000;  // 1000 TiB, S3's bound

using TagSet = std::vector<std::pair<std::string, std::string>>;

// Which object versions a rule applies to: all of its conditions hold (AND). An empty
// filter applies to every object.
struct Filter {
  // nullopt: no Prefix element (matches every key, as an empty prefix does); kept apart
  // from "" so that a configuration reads back as it was written.
  std::optional<std::string> prefix;
  TagSet tags;                                // the object has every one of these tags
  std::optional<uint64_t> size_greater_than;  // size > this, in bytes
  std::optional<uint64_t> size_less_than;     // size < this, in bytes

  bool operator==(const Filter&) const = default;
};

// <Expiration>: exactly one of days, date, or the ExpiredObjectDeleteMarker flag.
struct Expiration {
  std::optional<int> days;      // after the version's creation
  std::optional<SysTime> date;  // a midnight UTC; applies from then on
  // Meaningful only without days and date; false is "take no action" (still a valid action
  // element, so it reads back).
  bool expired_object_delete_marker = false;

  bool operator==(const Expiration&) const = default;
};

// <Transition>: days or date, to a storage class (a pool's class or a tier's name).
struct Transition {
  std::optional<int> days;  // 0 is allowed: at the first midnight after creation
  std::optional<SysTime> date;
  std::string storage_class;

  bool operator==(const Transition&) const = default;
};

// <NoncurrentVersionExpiration>.
struct NoncurrentExpiration {
  int noncurrent_days = 0;                       // days since the version became noncurrent
  std::optional<int> newer_noncurrent_versions;  // keep this many newer noncurrent ones

  bool operator==(const NoncurrentExpiration&) const = default;
};

// <NoncurrentVersionTransition>.
struct NoncurrentTransition {
  int noncurrent_days = 0;  // 0 is allowed
  std::optional<int> newer_noncurrent_versions;
  std::string storage_class;

  bool operator==(const NoncurrentTransition&) const = default;
};

struct Rule {
  std::string id;  // empty only before ParseConfiguration names it
  bool enabled = true;
  // True for the deprecated rule-level <Prefix> (Lifecycle V1): the filter then holds only
  // that prefix, and the rule renders as <Prefix> again.
  bool legacy_prefix = false;
  Filter filter;
  std::optional<Expiration> expiration;
  std::vector<Transition> transitions;
  std::optional<NoncurrentExpiration> noncurrent_expiration;
  std::vector<NoncurrentTransition> noncurrent_transitions;
  std::optional<int> abort_incomplete_multipart_days;  // <DaysAfterInitiation>

  bool operator==(const Rule&) const = default;
};

struct Configuration {
  std::vector<Rule> rules;

  bool operator==(const Configuration&) const = default;
};

// Answers whether a StorageClass names a class or tier this cluster can transition to. An
// empty function accepts every class. (S3 refuses STANDARD as a transition target; the
// caller's predicate should too.)
using StorageClassPredicate = std::function<bool(std::string_view)>;

// Parses a PutBucketLifecycleConfiguration body and validates it as S3 does. Rules sent
// without an ID (or with an empty one) get "rule-N", the lowest N no other rule uses, as S3
// names them itself.
Result<Configuration> ParseConfiguration(std::string_view xml,
                                         const StorageClassPredicate& known_storage_class,
                                         size_t max_bytes = kMaxConfigurationBytes);

// The semantic half of ParseConfiguration, for configurations built in code. Rules with an
// empty id are allowed (and not compared with each other).
Status ValidateConfiguration(const Configuration& config,
                             const StorageClassPredicate& known_storage_class);

// The GetBucketLifecycleConfiguration body (UTF-8, with an XML declaration and the S3
// namespace). For every configuration ParseConfiguration returns,
// ParseConfiguration(RenderConfiguration(c)) == c. Dates are written as
// 2025-01-01T00:00:00.000Z, as S3 does.
std::string RenderConfiguration(const Configuration& config);

}  // namespace strata::lifecycle
