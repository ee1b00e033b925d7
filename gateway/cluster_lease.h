// ClusterLease: one holder at a time among the gateways of a cluster, for
// background work that should run once, not once per gateway (the lifecycle
// scanner, healing passes, the bitrot scan).
//
// The lease is a config record (kind "lease", the lease's name) holding the
// holder's name and an expiry, written to every drive like any config
// record: the later write wins on every drive, so two gateways claiming at
// once both read back the same winner. A holder renews it while it works and
// releases it when it stops; a holder that dies loses it when the term runs
// out. Holder names should be stable across restarts of one gateway
// (e.g. "gateway@host/address"), so a restarted gateway takes its own lease
// back at once.
//
// Thread safety: one coroutine at a time per lease object (calls may come
// from different coroutines of one executor, not concurrently from threads).
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "gateway/object_layer.h"

namespace strata::gw {

class ClusterLease {
 public:
  ClusterLease(ObjectLayer* objects, Clock* clock, std::string name, std::string holder,
               std::chrono::seconds term = std::chrono::seconds(60));

  // Takes the lease when it is free or expired, or keeps it (renewing);
  // false while another holder has an unexpired one.
  Task<bool> Acquire();
  // Renews when a third of the term has passed since the last renewal
  // (cheap to call often); false when the lease was lost to another holder.
  Task<bool> KeepAlive();
  // Hands the lease back (expired now) if held: another gateway, or this
  // one restarted, takes over without waiting out the term.
  Task<void> Release();

  bool held() const { return held_; }
  const std::string& holder() const { return holder_; }

 private:
  Task<bool> Write(SysTime until);

  ObjectLayer* objects_;
  Clock* clock_;
  std::string name_, holder_;
  std::chrono::seconds term_;
  bool held_ = false;
  SysTime renewed_{};
};

}  // namespace strata::gw
