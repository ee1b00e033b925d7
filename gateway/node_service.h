// NodeService: the node side of the internal API (`strata node`): serves
// the node's drives to gateways (docs/ARCHITECTURE.md, "The internal API").
//
//   GET  /internal/v1/ping                          the drives, their state,
//                                                   usage and index figures
//   POST /internal/v1/rpc?drive=NAME                one Drive call (CBOR)
//   PUT  /internal/v1/shard?drive=NAME&id=ID        a shard file, streamed:
//        frames [u32 big-endian length][bytes]..., then [u32 0][32-byte
//        SHA-256 of all bytes][64 hex HMAC chained to the request signature]
//   GET  /internal/v1/shard?drive=NAME&id=ID&offset=O&length=L
//
// Every request is authenticated (gateway/node_auth.h) before anything is
// parsed or touched; answers are CBOR documents (gateway/node_codec.h) with
// the error code in-band, except for refused requests (403).
//
// Thread safety: Handle may run concurrently on any I/O thread; the drives
// are thread-safe, the replay guard is.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.h"
#include "gateway/exchange.h"
#include "gateway/node_auth.h"
#include "server/drive.h"

namespace strata::gw {

struct NodeServiceOptions {
  std::string node;  // this node's name, for logs
  std::map<std::string, std::shared_ptr<server::Drive>> drives;  // by topology name
  std::string cluster_secret;
  Clock* clock = &Clock::Real();
  std::chrono::seconds replay_window{60};
  size_t max_rpc_body = 64 << 20;   // a transaction with inline shards fits easily
  size_t max_read = 64 << 20;       // bytes per shard GET
};

class NodeService {
 public:
  explicit NodeService(NodeServiceOptions options);
  Task<void> Handle(Exchange& exchange);

 private:
  Task<Status> Serve(Exchange& exchange);
  Task<Status> Rpc(Exchange& exchange, server::Drive& drive, const node::VerifiedRequest& auth);
  Task<Status> WriteShard(Exchange& exchange, server::Drive& drive, std::string data_id,
                          const node::VerifiedRequest& auth);
  Task<Status> ReadShard(Exchange& exchange, server::Drive& drive, std::string data_id,
                         uint64_t offset, uint64_t length);
  Task<Status> Ping(Exchange& exchange);
  Task<Status> SendCbor(Exchange& exchange, unsigned status, const nlohmann::json& doc);

  NodeServiceOptions options_;
  std::string key_;
  node::ReplayGuard guard_;
};

}  // namespace strata::gw
