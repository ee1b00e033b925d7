#include "gateway/cluster_lease.h"

#include <nlohmann/json.hpp>

#include "metadata/records.h"

namespace strata::gw {
namespace {

constexpr std::string_view kLeaseKind = "lease";

struct Claim {
  std::string holder;
  SysTime until{};
};

// The current claim on `name`, if any record holds one.
Task<Result<std::optional<Claim>>> ReadClaim(ObjectLayer& objects, const std::string& name) {
  std::string kind(kLeaseKind);
  auto records = co_await objects.ListConfig(kind);
  if (!records.ok()) co_return records.status();
  for (const auto& r : *records) {
    if (r.name != name) continue;
    auto j = nlohmann::json::parse(r.value, nullptr, false);
    if (!j.is_object() || !j["holder"].is_string() || !j["until"].is_number_integer()) break;
    co_return std::optional<Claim>(
        Claim{j["holder"].get<std::string>(), FromMicros(j["until"].get<int64_t>())});
  }
  co_return std::optional<Claim>();
}

}  // namespace

ClusterLease::ClusterLease(ObjectLayer* objects, Clock* clock, std::string name,
                           std::string holder, std::chrono::seconds term)
    : objects_(objects), clock_(clock), name_(std::move(name)), holder_(std::move(holder)),
      term_(term) {}

Task<bool> ClusterLease::Acquire() {
  // (held_ changes only at the end: another coroutine's KeepAlive may run
  // while this one waits for the drives.)
  auto current = co_await ReadClaim(*objects_, name_);
  if (!current.ok() ||
      (*current && (*current)->holder != holder_ && (*current)->until > clock_->Now())) {
    held_ = false;  // unreadable, or another gateway holds it
    co_return false;
  }
  const SysTime until = clock_->Now() + term_;
  const bool written = co_await Write(until);
  // Two claiming at once: the later write won everywhere; read who that was.
  auto check = co_await ReadClaim(*objects_, name_);
  held_ = written && check.ok() && *check && (*check)->holder == holder_;
  co_return held_;
}

Task<bool> ClusterLease::KeepAlive() {
  if (!held_) co_return false;
  if (clock_->Now() - renewed_ < term_ / 3) co_return true;
  co_return co_await Acquire();
}

Task<void> ClusterLease::Release() {
  if (!held_) co_return;
  held_ = false;
  co_await Write(SysTime{});  // best effort: else the term runs out
}

Task<bool> ClusterLease::Write(SysTime until) {
  nlohmann::json j = {{"holder", holder_}, {"until", ToMicros(until)}};
  const SysTime now = clock_->Now();
  meta::ConfigRecord record{std::string(kLeaseKind), name_, j.dump(), now, false};
  const bool ok = (co_await objects_->PutConfig(std::move(record))).ok();
  if (ok) renewed_ = now;
  co_return ok;
}

}  // namespace strata::gw
