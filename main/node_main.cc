// `strata node`: a storage node of a cluster. Opens the drives the topology
// gives this node and serves them over the internal API
// (gateway/node_service.h) to the gateways; optionally an operator listener
// with health and metrics.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "common/log.h"
#include "common/metrics.h"
#include "gateway/http_server.h"
#include "gateway/node_service.h"
#include "main/commands.h"
#include "main/server_metrics.h"
#include "server/instrumented_drive.h"
#include "server/local_drive.h"
#include "server/topology.h"

namespace strata {
namespace {

struct NodeFlags {
  std::string config, node, data = "./data";
  std::string address;                 // default: the node's address in the topology
  std::string admin_address = "off";   // health and metrics
  std::string tls_cert, tls_key;
};

int Usage(const char* why) {
  if (why) std::cerr << "strata node: " << why << "\n";
  std::cerr << "usage: strata node --config FILE --node NAME [--data DIR] [--address HOST:PORT]\n"
               "                   [--admin-address HOST:PORT|off] [--tls-cert F --tls-key F]\n"
               "Needs STRATA_CLUSTER_SECRET (at least 16 characters), the same on every node\n"
               "and gateway of the cluster.\n";
  return 2;
}

bool SplitHostPort(const std::string& address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[') *host = host->substr(1, host->size() - 2);
  std::string p = address.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  int n = std::stoi(p);
  if (n > 65535) return false;
  *port = static_cast<uint16_t>(n);
  return true;
}

// A node's health and metrics, for Kubernetes probes and Prometheus.
class NodeAdmin {
 public:
  NodeAdmin(const std::map<std::string, std::shared_ptr<server::Drive>>& drives,
            const metrics::Registry& registry)
      : drives_(drives), registry_(registry) {}

  server::Task<void> Handle(gw::Exchange& ex) {
    std::string_view target = ex.request().target();
    std::string_view path = target.substr(0, target.find('?'));
    gw::http::response<gw::http::string_body> res{gw::http::status::ok, 11};
    if (path == "/metrics") {
      res.set(gw::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = registry_.Render();
    } else if (path == "/health/live") {
      res.body() = "{\"status\":\"live\"}\n";
    } else if (path == "/health/ready") {
      size_t online = 0;
      for (const auto& [name, d] : drives_) online += d && d->online() ? 1 : 0;
      if (online == 0) res.result(gw::http::status::service_unavailable);
      res.body() = "{\"drives_online\":" + std::to_string(online) +
                   ",\"drives_total\":" + std::to_string(drives_.size()) + "}\n";
    } else {
      res.result(gw::http::status::not_found);
    }
    if (path != "/metrics") res.set(gw::http::field::content_type, "application/json");
    res.prepare_payload();
    (co_await ex.Send(std::move(res))).IgnoreError();
  }

 private:
  const std::map<std::string, std::shared_ptr<server::Drive>>& drives_;
  const metrics::Registry& registry_;
};

int RunNode(const NodeFlags& flags) {
  const char* secret = std::getenv("STRATA_CLUSTER_SECRET");
  if (!secret || std::string_view(secret).size() < 16) {
    log::Error("STRATA_CLUSTER_SECRET must be set (at least 16 characters)");
    return 1;
  }
  std::error_code ec;
  std::filesystem::path data_dir = std::filesystem::absolute(flags.data, ec);
  auto topology = server::LoadTopology(flags.config, data_dir.string());
  if (!topology.ok()) {
    log::Error("bad topology", {{"config", flags.config}, {"error", topology.status().message()}});
    return 1;
  }
  const server::NodeSpec* me = nullptr;
  for (const auto& n : topology->nodes) {
    if (n.name == flags.node) me = &n;
  }
  if (!me) {
    log::Error("the topology has no such node", {{"node", flags.node}});
    return 1;
  }
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(flags.address.empty() ? me->address : flags.address, &host, &port)) {
    return Usage("--address must be HOST:PORT");
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Usage("--tls-cert and --tls-key go together");
  }

  // A fresh data directory gets its drive folders; afterwards a missing
  // drive folder is an offline drive, never a new empty one.
  const bool fresh = !std::filesystem::exists(data_dir / ".strata-node", ec);
  // Signals are waited for on the main thread, blocked before any other
  // thread starts (RocksDB's and the pools' threads inherit the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  boost::asio::thread_pool blocking(8);
  metrics::Registry registry;
  std::map<std::string, std::shared_ptr<server::Drive>> drives;
  for (const auto& pool : topology->pools) {
    for (const auto& set : pool.sets) {
      for (const auto& d : set.drives) {
        if (d.node != flags.node) continue;
        if (fresh) std::filesystem::create_directories(d.path, ec);
        server::LocalDriveOptions lo{d.name, d.path, blocking.get_executor()};
        auto drive = server::OpenLocalDrive(lo);
        if (!drive.ok()) {
          log::Warn("drive offline", {{"drive", d.name}, {"path", d.path},
                                      {"error", drive.status().ToString()}});
          drives[d.name] = nullptr;
          continue;
        }
        auto probe = std::make_shared<server::DriveProbe>(registry, pool.name, d.name);
        drives[d.name] = server::InstrumentDrive(std::move(*drive), std::move(probe));
      }
    }
  }
  if (fresh) {
    std::filesystem::create_directories(data_dir, ec);
    std::FILE* marker = std::fopen((data_dir / ".strata-node").c_str(), "w");
    if (marker) {
      std::fputs(flags.node.c_str(), marker);
      std::fclose(marker);
    }
  }
  size_t online = 0;
  for (const auto& [name, d] : drives) online += d ? 1 : 0;
  log::Info("node drives opened", {{"node", flags.node}, {"online", online},
                                   {"total", drives.size()}});
  RegisterProcessMetrics(registry);

  gw::NodeServiceOptions options;
  options.node = flags.node;
  options.drives = drives;
  options.cluster_secret = secret;
  auto service = std::make_shared<gw::NodeService>(std::move(options));
  gw::HttpServerOptions http;
  http.host = host;
  http.port = port;
  http.tls_cert_file = flags.tls_cert;
  http.tls_key_file = flags.tls_key;
  auto listener = gw::HttpServer::Start(http, [service](gw::Exchange& ex) {
    return service->Handle(ex);
  });
  if (!listener.ok()) {
    log::Error("cannot start the internal API listener", {{"error", listener.status().ToString()}});
    return 1;
  }
  std::unique_ptr<gw::HttpServer> admin_listener;
  auto admin = std::make_shared<NodeAdmin>(drives, registry);
  if (flags.admin_address != "off") {
    gw::HttpServerOptions a;
    if (!SplitHostPort(flags.admin_address, &a.host, &a.port)) {
      return Usage("--admin-address must be HOST:PORT or off");
    }
    a.threads = 1;
    auto started = gw::HttpServer::Start(a, [admin](gw::Exchange& ex) { return admin->Handle(ex); });
    if (!started.ok()) {
      log::Error("cannot start the admin listener", {{"error", started.status().ToString()}});
      return 1;
    }
    admin_listener = std::move(*started);
    std::cout << "Admin endpoint: http://" << a.host << ":" << admin_listener->port() << std::endl;
  }
  std::cout << "Node endpoint: " << (flags.tls_cert.empty() ? "http" : "https") << "://" << host
            << ":" << (*listener)->port() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  log::Info("stopping", {{"node", flags.node}});
  (*listener)->Stop();
  if (admin_listener) admin_listener->Stop();
  blocking.join();
  return 0;
}

}  // namespace

int NodeMain(int argc, char** argv) {
  NodeFlags flags;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--config") ok = value(flags.config);
    else if (arg == "--node") ok = value(flags.node);
    else if (arg == "--data") ok = value(flags.data);
    else if (arg == "--address") ok = value(flags.address);
    else if (arg == "--admin-address") ok = value(flags.admin_address);
    else if (arg == "--tls-cert") ok = value(flags.tls_cert);
    else if (arg == "--tls-key") ok = value(flags.tls_key);
    else if (arg == "-h" || arg == "--help") return Usage(nullptr);
    else return Usage(("unknown argument " + arg).c_str());
    if (!ok) return Usage(("missing value for " + arg).c_str());
  }
  if (flags.config.empty() || flags.node.empty()) return Usage("--config and --node are required");
  return RunNode(flags);
}

}  // namespace strata
