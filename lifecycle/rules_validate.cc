// The semantic half of rules.h: what S3 refuses in a configuration that matches its schema.
//
// Where each answer comes from. AWS's API reference and user guide give the rules but
// rarely the error code; the codes and messages below are the ones S3 was recorded
// answering, as s3-tests ports run against AWS (KSAN's, from the Java suite), s3proxy and
// mantle (which both checked against AWS) and OpenIO's swift3 reproduce them; MinIO's
// internal/bucket/lifecycle breaks ties.
//
//   case                                                 code             source
//   no Rule at all                                       MalformedXML     schema (Rule required)
//   more than 1000 rules                                 InvalidRequest   s3proxy, mantle
//   ID longer than 255 characters                        InvalidArgument  s3-tests (AWS)
//   two rules with one ID                                InvalidArgument  s3-tests (AWS)
//   Filter and rule-level Prefix mixed across rules      InvalidRequest   mantle (AWS)
//   NewerNoncurrentVersions in a V1 configuration        InvalidRequest   mantle (AWS)
//   V1 prefixes overlapping for one action type          InvalidRequest   mantle (AWS)
//   a rule without any action                            InvalidRequest   s3proxy, OpenIO
//   Days <= 0 (Expiration, NoncurrentDays of the
//     expiration, DaysAfterInitiation)                   InvalidArgument  s3-tests (AWS)
//   Transition Days / NoncurrentDays < 0                 InvalidArgument  s3proxy
//   Date not at midnight UTC                             InvalidArgument  s3-tests (AWS)
//   ExpiredObjectDeleteMarker or AbortIncompleteMultipart-
//     Upload with a tag or size filter                   InvalidRequest   mantle, OpenIO (AWS)
//   one StorageClass twice among a rule's transitions    InvalidRequest   OpenIO
//   Date- and Days-based Expiration/Transitions mixed    InvalidRequest   mantle, OpenIO
//   Expiration not after every Transition                InvalidArgument  OpenIO
//   NewerNoncurrentVersions outside 1..100               InvalidArgument  AWS docs ("up to
//                                                                         100"); mantle saw
//                                                                         S3 accept 500, the
//                                                                         documented bound wins
//   duplicate tag keys in a filter                       InvalidRequest   OpenIO
//   object size bounds out of range / not ordered        InvalidRequest   mantle, OpenIO (AWS)
//
// Where the documents and those sources are silent, we chose:
//   - an unknown StorageClass: AWS's schema enumerates its classes (MalformedXML), but ours
//     is an open set of classes and admin-made tiers, so like MinIO (an unknown tier) we
//     answer InvalidStorageClass, which tells the client what is wrong;
//   - a prefix longer than 1024 bytes (the longest key) or more than 10 tags in a filter
//     (the most an object holds): InvalidArgument, since such a rule can match nothing;
//   - a tag with an empty key, a key over 128 or a value over 256 characters: InvalidTag,
//     as object tagging answers;
//   - transitions between classes are not ordered here (AWS requires colder classes later):
//     the order of classes is the cluster's, and the evaluator never moves a version to a
//     warmer class, so a misordered rule just skips the warmer step.
// Not enforced at all: AWS's pricing minimums (30 days before STANDARD_IA, 90 before deep
// archive, the 128 KiB default minimum object size), as MinIO does not either; tests shorten
// days, and our cold pool has no minimum storage charge.

#include <algorithm>
#include <set>
#include <string>

#include "lifecycle/rules.h"

namespace strata::lifecycle {
namespace {

Status Malformed() { return Status(Code::kMalformedXML); }
Status InvalidArgument(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message));
}
Status InvalidRequest(std::string message) {
  return Status(Code::kInvalidRequest, std::move(message));
}

// Characters as S3 counts them for IDs and tags: Unicode code points of the UTF-8 text.
size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsMidnight(SysTime t) {
  constexpr int64_t kDayMicros = int64_t{86400} * 1000000;
  return ToMicros(t) % kDayMicros == 0;
}

// How S3's messages name a rule: "(prefix=logs/)".
std::string FilterLabel(const Rule& rule) {
  return "'(prefix=" + rule.filter.prefix.value_or("") + ")'";
}

bool HasTags(const Rule& rule) { return !rule.filter.tags.empty(); }
bool HasSize(const Rule& rule) {
  return rule.filter.size_greater_than.has_value() || rule.filter.size_less_than.has_value();
}

Status CheckIds(const Configuration& config) {
  std::set<std::string_view> seen;
  for (const Rule& rule : config.rules) {
    if (rule.id.empty()) continue;  // named by ParseConfiguration
    if (CharCount(rule.id) > kMaxIdChars) {
      return InvalidArgument("ID length should not exceed allowed limit of 255");
    }
    if (!seen.insert(rule.id).second) {
      return InvalidArgument("Rule ID must be unique. Found same ID for more than one rule");
    }
  }
  return Status::Ok();
}

Status CheckFilter(const Rule& rule) {
  const Filter& f = rule.filter;
  // A V1 rule is a prefix and nothing else; only code could build another.
  if (rule.legacy_prefix && (!f.prefix || HasTags(rule) || HasSize(rule))) return Malformed();
  if (f.prefix && f.prefix->size() > kMaxPrefixBytes) {
    return InvalidArgument("The prefix of a lifecycle rule must not be longer than 1024 bytes");
  }
  if (f.tags.size() > kMaxFilterTags) {
    return InvalidArgument("A lifecycle rule filter can name at most 10 tags");
  }
  std::set<std::string_view> keys;
  for (const auto& [key, value] : f.tags) {
    if (key.empty() || CharCount(key) > 128) {
      return Status(Code::kInvalidTag, "The TagKey you have provided is invalid");
    }
    if (CharCount(value) > 256) {
      return Status(Code::kInvalidTag, "The TagValue you have provided is invalid");
    }
    if (!keys.insert(key).second) return InvalidRequest("Duplicate Tag Keys are not allowed.");
  }
  const std::string max = std::to_string(kMaxFilterObjectSize);
  if (f.size_greater_than && *f.size_greater_than > kMaxFilterObjectSize) {
    return InvalidRequest("'ObjectSizeGreaterThan' should be between 0 and " + max + ".");
  }
  if (f.size_less_than && (*f.size_less_than == 0 || *f.size_less_than > kMaxFilterObjectSize)) {
    return InvalidRequest("'ObjectSizeLessThan' should be between 1 and " + max + ".");
  }
  if (f.size_greater_than && f.size_less_than && *f.size_less_than <= *f.size_greater_than) {
    return InvalidRequest(
        "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.");
  }
  return Status::Ok();
}

Status CheckNewer(const std::optional<int>& newer, std::string_view action) {
  if (!newer) return Status::Ok();
  const std::string prefix = "'NewerNoncurrentVersions' for " + std::string(action);
  if (*newer <= 0) return InvalidArgument(prefix + " action must be a positive integer");
  if (*newer > kMaxNewerNoncurrentVersions) {
    return InvalidArgument(prefix + " action must not be greater than 100");
  }
  return Status::Ok();
}

Status CheckStorageClass(const std::string& storage_class, const StorageClassPredicate& known) {
  if (storage_class.empty()) return Malformed();
  if (known && !known(storage_class)) {
    return Status(Code::kInvalidStorageClass, "The storage class you specified is not valid");
  }
  return Status::Ok();
}

// The Expiration element alone; how it relates to transitions is CheckTransitions'.
Status CheckExpiration(const Rule& rule) {
  const Expiration& e = *rule.expiration;
  if (e.days && e.date) return Malformed();  // only code can build both
  if (e.days && *e.days <= 0) {
    return InvalidArgument("'Days' for Expiration action must be a positive integer");
  }
  if (e.date && !IsMidnight(*e.date)) return InvalidArgument("'Date' must be at midnight GMT");
  if (!e.days && !e.date) {  // the ExpiredObjectDeleteMarker form: delete markers have
                             // neither tags nor a size to filter by
    if (HasTags(rule)) {
      return InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with Tags.");
    }
    if (HasSize(rule)) {
      return InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with Object Size.");
    }
  }
  return Status::Ok();
}

Status CheckTransitions(const Rule& rule, const StorageClassPredicate& known) {
  std::set<std::string_view> classes;
  bool by_days = rule.expiration && rule.expiration->days;
  bool by_date = rule.expiration && rule.expiration->date;
  std::optional<int> last_days;
  std::optional<SysTime> last_date;
  for (const Transition& t : rule.transitions) {
    if (t.days.has_value() == t.date.has_value()) return Malformed();
    if (t.days && *t.days < 0) {
      return InvalidArgument("'Days' for Transition action must be a nonnegative integer");
    }
    if (t.date && !IsMidnight(*t.date)) return InvalidArgument("'Date' must be at midnight GMT");
    STRATA_TRY(CheckStorageClass(t.storage_class, known));
    if (!classes.insert(t.storage_class).second) {
      return InvalidRequest(
          "'StorageClass' must be different for 'Transition' actions in same 'Rule' with "
          "filter " +
          FilterLabel(rule));
    }
    by_days |= t.days.has_value();
    by_date |= t.date.has_value();
    if (t.days) last_days = std::max(last_days.value_or(0), *t.days);
    if (t.date) last_date = last_date ? std::max(*last_date, *t.date) : *t.date;
  }
  if (by_days && by_date) {
    return InvalidRequest(
        "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle "
        "rule for filter " +
        FilterLabel(rule));
  }
  if (!rule.expiration) return Status::Ok();
  if (rule.expiration->days && last_days && *rule.expiration->days <= *last_days) {
    return InvalidArgument("'Days' in the Expiration action for filter " + FilterLabel(rule) +
                           " must be greater than 'Days' in the Transition action");
  }
  if (rule.expiration->date && last_date && *rule.expiration->date <= *last_date) {
    return InvalidArgument("'Date' in the Expiration action for filter " + FilterLabel(rule) +
                           " must be later than 'Date' in the Transition action");
  }
  return Status::Ok();
}

Status CheckNoncurrent(const Rule& rule, const StorageClassPredicate& known) {
  if (const auto& e = rule.noncurrent_expiration) {
    if (e->noncurrent_days <= 0) {
      return InvalidArgument(
          "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
    }
    STRATA_TRY(CheckNewer(e->newer_noncurrent_versions, "NoncurrentVersionExpiration"));
  }
  std::set<std::string_view> classes;
  std::optional<int> last_days;
  for (const NoncurrentTransition& t : rule.noncurrent_transitions) {
    if (t.noncurrent_days < 0) {
      return InvalidArgument(
          "'NoncurrentDays' for NoncurrentVersionTransition action must be a nonnegative "
          "integer");
    }
    STRATA_TRY(CheckNewer(t.newer_noncurrent_versions, "NoncurrentVersionTransition"));
    STRATA_TRY(CheckStorageClass(t.storage_class, known));
    if (!classes.insert(t.storage_class).second) {
      return InvalidRequest(
          "'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same "
          "'Rule' with filter " +
          FilterLabel(rule));
    }
    last_days = std::max(last_days.value_or(0), t.noncurrent_days);
  }
  if (rule.noncurrent_expiration && last_days &&
      rule.noncurrent_expiration->noncurrent_days <= *last_days) {
    return InvalidArgument(
        "'NoncurrentDays' in the NoncurrentVersionExpiration action for filter " +
        FilterLabel(rule) +
        " must be greater than 'NoncurrentDays' in the "
        "NoncurrentVersionTransition action");
  }
  return Status::Ok();
}

Status CheckAbort(const Rule& rule) {
  if (!rule.abort_incomplete_multipart_days) return Status::Ok();
  if (*rule.abort_incomplete_multipart_days <= 0) {
    return InvalidArgument(
        "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
        "integer");
  }
  // An upload has no tags and no size yet.
  if (HasTags(rule)) {
    return InvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.");
  }
  if (HasSize(rule)) {
    return InvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.");
  }
  return Status::Ok();
}

Status CheckRule(const Rule& rule, bool v2, const StorageClassPredicate& known) {
  if (v2 && rule.legacy_prefix) {
    return InvalidRequest(
        "Base level prefix cannot be used in Lifecycle V2, prefixes are only supported in the "
        "Filter.");
  }
  if (!v2 && !rule.legacy_prefix) {
    return InvalidRequest("Filter element can only be used in Lifecycle V2.");
  }
  STRATA_TRY(CheckFilter(rule));
  if (!rule.expiration && rule.transitions.empty() && !rule.noncurrent_expiration &&
      rule.noncurrent_transitions.empty() && !rule.abort_incomplete_multipart_days) {
    return InvalidRequest("At least one action needs to be specified in a rule");
  }
  if (!v2) {
    const bool newer =
        (rule.noncurrent_expiration && rule.noncurrent_expiration->newer_noncurrent_versions) ||
        std::any_of(rule.noncurrent_transitions.begin(), rule.noncurrent_transitions.end(),
                    [](const auto& t) { return t.newer_noncurrent_versions.has_value(); });
    if (newer) {
      return InvalidRequest("NewerNoncurrentVersions element can only be used in Lifecycle V2.");
    }
  }
  if (rule.expiration) STRATA_TRY(CheckExpiration(rule));
  STRATA_TRY(CheckTransitions(rule, known));
  STRATA_TRY(CheckNoncurrent(rule, known));
  return CheckAbort(rule);
}

// Lifecycle V1 (rule-level prefixes) allows no two rules whose prefixes overlap, one
// beginning the other, to take the same kind of action. Sorted, a prefix that begins any
// later one begins its next neighbour, so neighbours are all that need comparing.
Status CheckV1Overlaps(const Configuration& config) {
  struct Kind {
    std::string_view name;
    bool (*takes)(const Rule&);
  };
  static constexpr Kind kKinds[] = {
      {"Expiration", [](const Rule& r) { return r.expiration.has_value(); }},
      {"Transition", [](const Rule& r) { return !r.transitions.empty(); }},
      {"NoncurrentVersionExpiration",
       [](const Rule& r) { return r.noncurrent_expiration.has_value(); }},
      {"NoncurrentVersionTransition",
       [](const Rule& r) { return !r.noncurrent_transitions.empty(); }},
      {"AbortIncompleteMultipartUpload",
       [](const Rule& r) { return r.abort_incomplete_multipart_days.has_value(); }},
  };
  for (const Kind& kind : kKinds) {
    std::vector<std::string_view> prefixes;
    for (const Rule& rule : config.rules) {
      if (kind.takes(rule)) prefixes.push_back(*rule.filter.prefix);
    }
    std::sort(prefixes.begin(), prefixes.end());
    for (size_t i = 1; i < prefixes.size(); ++i) {
      if (prefixes[i].starts_with(prefixes[i - 1])) {
        return InvalidRequest("Found overlapping prefixes '" + std::string(prefixes[i - 1]) +
                              "' and '" + std::string(prefixes[i]) + "' for same action type '" +
                              std::string(kind.name) + "'");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateConfiguration(const Configuration& config,
                             const StorageClassPredicate& known_storage_class) {
  if (config.rules.empty()) return Malformed();
  if (config.rules.size() > kMaxRules) {
    return InvalidRequest(
        "The number of lifecycle rules must not exceed the allowed limit of 1000 rules");
  }
  STRATA_TRY(CheckIds(config));
  // The first rule decides the version of the whole configuration, as S3 does.
  const bool v2 = !config.rules.front().legacy_prefix;
  for (const Rule& rule : config.rules) STRATA_TRY(CheckRule(rule, v2, known_storage_class));
  if (!v2) STRATA_TRY(CheckV1Overlaps(config));
  return Status::Ok();
}

}  // namespace strata::lifecycle
