// The gateway's view of a cluster: one NodeClient per node of the topology,
// one RemoteDrive per drive, and the loop that pings the nodes to learn
// which drives are online (docs/ARCHITECTURE.md, "Failure handling").
//
// Thread safety: built once at start-up; WatchNodes runs on one executor,
// the drives and clients are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "gateway/node_client.h"
#include "gateway/object_layer.h"
#include "gateway/remote_drive.h"
#include "server/topology.h"

namespace strata {

struct RemoteCluster {
  struct Node {
    std::shared_ptr<gw::NodeClient> client;
    std::vector<std::shared_ptr<gw::RemoteDrive>> drives;
  };
  std::map<std::string, Node> nodes;
};

// Object layer options over the topology's drives, all remote.
Result<gw::ObjectLayerOptions> OpenRemoteDrives(const server::Topology& topology,
                                                const std::string& cluster_secret,
                                                const std::string& ca_file, RemoteCluster* out);

// Pings every node once, in parallel, and updates its drives' state.
boost::asio::awaitable<void> PingNodes(RemoteCluster& cluster);
// Pings every `every` until `stop`.
boost::asio::awaitable<void> WatchNodes(RemoteCluster& cluster, const std::atomic<bool>& stop,
                                        std::chrono::milliseconds every);

}  // namespace strata
