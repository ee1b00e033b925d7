#include "main/cluster.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/log.h"
#include "server/parallel.h"

namespace strata {

Result<gw::ObjectLayerOptions> OpenRemoteDrives(const server::Topology& topology,
                                                const std::string& cluster_secret,
                                                const std::string& ca_file, RemoteCluster* out) {
  if (topology.nodes.empty()) {
    return Status(Code::kInvalidArgument, "the topology names no nodes (\"nodes\")");
  }
  for (const auto& n : topology.nodes) {
    gw::NodeClientOptions o;
    o.node = n.name;
    o.address = n.address;
    o.tls = n.tls;
    o.ca_file = ca_file;
    o.cluster_secret = cluster_secret;
    STRATA_ASSIGN_OR_RETURN(auto client, gw::NodeClient::Create(o));
    out->nodes[n.name].client = std::move(client);
  }
  gw::ObjectLayerOptions options;
  options.storage_classes = topology.storage_classes;
  for (const auto& pool_spec : topology.pools) {
    gw::Pool pool;
    pool.name = pool_spec.name;
    for (const auto& set_spec : pool_spec.sets) {
      gw::ErasureSet set;
      set.k = pool_spec.data;
      set.m = pool_spec.parity;
      for (const auto& d : set_spec.drives) {
        auto& node = out->nodes.at(d.node);
        auto drive = std::make_shared<gw::RemoteDrive>(d.name, node.client);
        node.drives.push_back(drive);
        set.drives.push_back(drive);
        set.names.push_back(d.name);
      }
      pool.sets.push_back(std::move(set));
    }
    options.pools.push_back(std::move(pool));
  }
  return options;
}

boost::asio::awaitable<void> PingNodes(RemoteCluster& cluster) {
  std::vector<RemoteCluster::Node*> nodes;
  for (auto& [name, node] : cluster.nodes) nodes.push_back(&node);
  co_await server::ParallelEach(nodes.size(), [&](size_t i) -> boost::asio::awaitable<void> {
    RemoteCluster::Node& node = *nodes[i];
    auto answer = co_await node.client->Ping();
    if (!answer.ok()) {
      for (auto& d : node.drives) d->Unreachable();
      co_return;
    }
    const auto& drives = (*answer)["drives"];
    for (auto& d : node.drives) {
      bool found = false;
      if (drives.is_array()) {
        for (const auto& entry : drives) {
          if (entry.is_object() && entry.value("name", "") == d->name()) {
            d->Update(entry);
            found = true;
          }
        }
      }
      if (!found) d->Unreachable();
    }
  });
}

boost::asio::awaitable<void> WatchNodes(RemoteCluster& cluster, const std::atomic<bool>& stop,
                                        std::chrono::milliseconds every) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  std::map<std::string, bool> was_up;
  while (!stop) {
    co_await PingNodes(cluster);
    for (auto& [name, node] : cluster.nodes) {
      bool up = node.client->available() && !node.drives.empty() && node.drives[0]->online();
      auto it = was_up.find(name);
      if (it == was_up.end() || it->second != up) {
        if (it != was_up.end()) {
          log::Info(up ? "node is back" : "node is unreachable", {{"node", name}});
        }
        was_up[name] = up;
      }
    }
    timer.expires_after(every);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace strata
