// AdminService: the operator listener's requests (`--admin-address`),
// apart from S3 traffic:
//
//   GET    /health/live           200 while the process serves
//   GET    /health/ready          200 when every erasure set has a write
//                                 quorum of online drives, else 503
//   GET    /metrics               Prometheus text format 0.0.4 (no auth)
//   GET    /admin/v1/status       pools, sets, drives, capacity (JSON)
//   GET    /admin/v1/users        users without their secrets
//   PUT    /admin/v1/users/NAME   {"policy", "access_key"?, "secret_key"?}
//                                 -> the user with its secret key
//   DELETE /admin/v1/users/NAME
//   GET    /admin/v1/tiers        tiers without their secrets
//   PUT    /admin/v1/tiers/NAME   {"bucket", "prefix"?, "endpoint"?, "access_key"?,
//                                 "secret_key"?}
//   DELETE /admin/v1/tiers/NAME   refused while objects live in the tier
//   POST   /admin/v1/heal[?bucket=B][&deep=true]
//                                 heals now (Healer::HealNow) -> the report
//
// /admin/v1 requests must carry a SigV4 Authorization header for service
// "strata" by the root credentials, with the body's SHA-256 signed in
// x-amz-content-sha256. Errors are JSON: {"Code": ..., "Message": ...}.
//
// Thread safety: Handle may run concurrently; the service holds only
// pointers to thread-safe collaborators.
#pragma once

#include "common/clock.h"
#include "common/metrics.h"
#include "gateway/exchange.h"
#include "gateway/healer.h"
#include "gateway/object_layer.h"
#include "gateway/s3_service.h"
#include "gateway/tiers.h"
#include "gateway/users.h"

namespace strata::gw {

struct AdminServiceOptions {
  ObjectLayer* objects = nullptr;                // not owned
  UserStore* users = nullptr;                    // not owned
  TierRegistry* tiers = nullptr;                 // not owned; nullptr: no tier routes
  const metrics::Registry* registry = nullptr;   // not owned; nullptr: no /metrics
  Healer* healer = nullptr;                      // not owned; nullptr: no heal route
  Credentials root;
  Clock* clock = &Clock::Real();
  size_t max_body = 64 << 10;  // admin request bodies are small JSON
};

class AdminService {
 public:
  explicit AdminService(AdminServiceOptions options);
  Task<void> Handle(Exchange& exchange);

 private:
  Task<Status> Serve(Exchange& exchange, std::string_view path);
  Task<Status> ServeAdmin(Exchange& exchange, std::string_view path);
  Task<Status> ServeTiers(Exchange& exchange, std::string_view path, const std::string& body);
  Task<Status> ServeHeal(Exchange& exchange);
  Task<Status> SendJson(Exchange& exchange, unsigned status, std::string body);

  AdminServiceOptions options_;
  SysTime started_;
};

}  // namespace strata::gw
