// NodeClient: the gateway side of the internal API (gateway/node_service.h)
// for one node: signed requests over a small pool of keep-alive
// connections, streamed shard writes, ranged shard reads, and a circuit
// breaker so that a dead or hung node costs one timeout, not one per
// request (docs/ARCHITECTURE.md, "Failure handling").
//
// Connections belong to the executor (I/O thread) that opened them and are
// only reused by coroutines on that executor: a session coroutine never
// touches another thread's socket.
//
// Thread safety: every method may be called from any I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "server/drive.h"

namespace strata::gw {

using server::Task;

struct NodeClientOptions {
  std::string node;     // its name in the topology
  std::string address;  // host:port of its internal API
  bool tls = false;
  std::string ca_file;  // TLS: trust these (empty: the system store)
  std::string cluster_secret;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds call_timeout{10000};    // a whole metadata call
  std::chrono::milliseconds stream_timeout{30000};  // no progress for this long
  std::chrono::milliseconds max_backoff{10000};
  size_t max_idle = 32;  // pooled connections, all executors together
};

class NodeClient {
 public:
  static Result<std::shared_ptr<NodeClient>> Create(NodeClientOptions options);
  ~NodeClient();

  // One Drive call on `drive`: the answer's result, or its error.
  Task<Result<nlohmann::json>> Rpc(std::string drive, nlohmann::json request);
  // Reads up to out.size() bytes of a shard file at offset (short at EOF).
  Task<Result<size_t>> ReadShard(std::string drive, std::string data_id, uint64_t offset,
                                 MutableByteSpan out);
  // A streamed shard write; Commit() ends the stream and waits for the node.
  Task<Result<std::unique_ptr<server::ShardWriter>>> WriteShard(std::string drive,
                                                                 std::string data_id);
  // The node's drives and their figures (the ping answer's result). Tried
  // even while backing off: a successful ping ends the back-off.
  Task<Result<nlohmann::json>> Ping();

  // False while backing off after a failure: calls then fail at once.
  bool available() const;
  const std::string& node() const;

  struct Impl;

 private:
  explicit NodeClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::gw
