#include "lifecycle/evaluator.h"

#include <algorithm>
#include <limits>

namespace strata::lifecycle {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMidnightMicros = int64_t{86400} * kMicrosPerSecond;

bool Matches(const Filter& f, std::string_view key, uint64_t size, const TagSet* tags) {
  if (f.prefix && !key.starts_with(*f.prefix)) return false;
  for (const auto& wanted : f.tags) {
    if (tags == nullptr || std::find(tags->begin(), tags->end(), wanted) == tags->end()) {
      return false;
    }
  }
  if (f.size_greater_than && size <= *f.size_greater_than) return false;
  if (f.size_less_than && size >= *f.size_less_than) return false;
  return true;
}

// The best candidate of one kind of action seen so far.
struct Choice {
  bool found = false;
  Action::Kind kind = Action::kNone;
  int rank = 0;  // transitions: the target's temperature
  SysTime due{};
  const Rule* rule = nullptr;
  std::string_view storage_class;

  Action ToAction() const {
    Action a;
    a.kind = kind;
    a.storage_class = std::string(storage_class);
    a.rule_id = rule->id;
    a.due = due;
    return a;
  }
};

// Deletions and expirations: the earliest due wins, then the first rule ("if two expiration
// policies overlap, the shorter one is honoured").
void OfferRemoval(Choice* c, Action::Kind kind, std::optional<SysTime> due, SysTime now,
                  const Rule& rule) {
  if (!due || *due > now) return;
  if (c->found && c->due <= *due) return;
  *c = Choice{true, kind, 0, *due, &rule, {}};
}

// Transitions: the coldest target wins, then the earliest due, then the first rule.
void OfferTransition(Choice* c, std::optional<SysTime> due, SysTime now, const Rule& rule,
                     std::string_view storage_class, int rank, int current_rank) {
  if (!due || *due > now || rank <= current_rank) return;
  if (c->found && (c->rank > rank || (c->rank == rank && c->due <= *due))) return;
  *c = Choice{true, Action::kTransition, rank, *due, &rule, storage_class};
}

std::optional<SysTime> DueOf(const std::optional<int>& days, const std::optional<SysTime>& date,
                             SysTime base, DayLength day) {
  if (days) return DueTime(base, *days, day);
  return date;
}

}  // namespace

SysTime DueTime(SysTime base, int days, DayLength day) {
  // 128 bits: INT_MAX days of 24 hours in microseconds do not fit in 64.
  __int128 t = static_cast<__int128>(ToMicros(base)) +
               static_cast<__int128>(days) * day.length.count() * kMicrosPerSecond;
  if (day.midnight_rounding) {
    __int128 into_day = t % kMidnightMicros;
    if (into_day < 0) into_day += kMidnightMicros;  // before 1970: floor, not truncation
    if (into_day != 0) t += kMidnightMicros - into_day;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (t > kMax) return FromMicros(kMax);
  if (t < kMin) return FromMicros(kMin);
  return FromMicros(static_cast<int64_t>(t));
}

Action Evaluate(const Configuration& config, const VersionFacts& v, SysTime now, DayLength day,
                const std::function<int(std::string_view)>& class_rank) {
  auto rank = [&](std::string_view storage_class) {
    return class_rank ? class_rank(storage_class) : 0;
  };
  // A delete marker has no data, hence no tags and size 0, and is never transitioned.
  const uint64_t size = v.delete_marker ? 0 : v.size;
  const TagSet* tags = v.delete_marker ? nullptr : v.tags;
  const int current_rank = v.delete_marker ? 0 : rank(v.storage_class);

  Choice removal;     // kDeleteVersion / kDeleteMarker: permanent
  Choice expiration;  // kExpireCurrent: permanent only in an unversioned bucket
  Choice transition;
  for (const Rule& rule : config.rules) {
    if (!rule.enabled || !Matches(rule.filter, v.key, size, tags)) continue;
    if (v.is_latest && v.delete_marker) {
      // Only a marker with nothing left beneath it is "expired"; Expiration Days removes
      // one once it is that old, ExpiredObjectDeleteMarker at once (at the next midnight
      // with S3's rounding). Date-based expirations leave markers alone.
      if (!v.only_version || !rule.expiration) continue;
      const Expiration& e = *rule.expiration;
      std::optional<SysTime> due;
      if (e.days) {
        due = DueTime(v.mtime, *e.days, day);
      } else if (!e.date && e.expired_object_delete_marker) {
        due = DueTime(v.mtime, 0, day);
      }
      OfferRemoval(&removal, Action::kDeleteMarker, due, now, rule);
    } else if (v.is_latest) {
      if (const auto& e = rule.expiration) {
        OfferRemoval(&expiration, Action::kExpireCurrent, DueOf(e->days, e->date, v.mtime, day),
                     now, rule);
      }
      for (const Transition& t : rule.transitions) {
        OfferTransition(&transition, DueOf(t.days, t.date, v.mtime, day), now, rule,
                        t.storage_class, rank(t.storage_class), current_rank);
      }
    } else if (v.noncurrent_since) {
      const SysTime since = *v.noncurrent_since;
      // NewerNoncurrentVersions N keeps the N newest noncurrent versions whatever their age.
      auto kept = [&](const std::optional<int>& newer) {
        return v.newer_noncurrent_versions < newer.value_or(0);
      };
      if (const auto& e = rule.noncurrent_expiration; e && !kept(e->newer_noncurrent_versions)) {
        OfferRemoval(&removal, Action::kDeleteVersion, DueTime(since, e->noncurrent_days, day), now,
                     rule);
      }
      if (v.delete_marker) continue;
      for (const NoncurrentTransition& t : rule.noncurrent_transitions) {
        if (kept(t.newer_noncurrent_versions)) continue;
        OfferTransition(&transition, DueTime(since, t.noncurrent_days, day), now, rule,
                        t.storage_class, rank(t.storage_class), current_rank);
      }
    }
  }

  if (removal.found) return removal.ToAction();
  if (expiration.found && !v.versioned_bucket) return expiration.ToAction();
  if (transition.found) return transition.ToAction();
  if (expiration.found) return expiration.ToAction();
  return Action{};
}

bool ShouldAbortUpload(const Configuration& config, std::string_view key, SysTime initiated,
                       SysTime now, DayLength day) {
  for (const Rule& rule : config.rules) {
    if (!rule.enabled || !rule.abort_incomplete_multipart_days) continue;
    const Filter& f = rule.filter;
    if (!f.tags.empty() || f.size_greater_than || f.size_less_than) continue;
    if (f.prefix && !key.starts_with(*f.prefix)) continue;
    if (DueTime(initiated, *rule.abort_incomplete_multipart_days, day) <= now) return true;
  }
  return false;
}

}  // namespace strata::lifecycle
