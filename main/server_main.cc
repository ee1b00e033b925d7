// `strata server`: the composition root of the embedded server. It wires
// drives, the object layer, users, metrics, the S3 listener and the admin
// listener together. Nothing else reads flags or the environment.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "gateway/admin_service.h"
#include "gateway/healer.h"
#include "gateway/http_server.h"
#include "gateway/object_layer.h"
#include "gateway/s3_metrics.h"
#include "gateway/s3_service.h"
#include "gateway/tiers.h"
#include "gateway/users.h"
#include "lifecycle/scan/scanner.h"
#include "main/commands.h"
#include "main/cluster.h"
#include "main/server_metrics.h"
#include "server/instrumented_drive.h"
#include "server/local_drive.h"
#include "server/topology.h"

namespace strata {
namespace {

constexpr std::string_view kDevAccessKey = "strata-dev";
constexpr std::string_view kDevSecretKey = "strata-dev-secret-key";

struct ServerFlags {
  std::string data = "./data";
  std::string address = "127.0.0.1:9000";
  std::string admin_address = "127.0.0.1:9001";  // "off" disables the listener
  std::string config;
  std::string tls_cert, tls_key;
  bool access_log = false;
  size_t io_threads = 0;  // 0 = one per core
  // `strata gateway`: every drive is a node's, reached over the internal API.
  bool gateway = false;
  std::string ca_file;  // trust store for nodes that speak TLS
};

int Usage(const char* why) {
  if (why) std::cerr << "strata: " << why << "\n";
  std::cerr << "usage: strata server [--data DIR] [--address HOST:PORT] [--config FILE]\n"
               "                     [--admin-address HOST:PORT|off] [--access-log]\n"
               "                     [--tls-cert FILE --tls-key FILE]\n"
               "       strata gateway --config FILE [--address HOST:PORT]\n"
               "                     [--admin-address HOST:PORT|off] [--access-log]\n"
               "                     [--tls-cert FILE --tls-key FILE] [--node-ca FILE]\n"
               "       (a gateway needs STRATA_CLUSTER_SECRET, the nodes' shared secret)\n";
  return 2;
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

std::optional<HostPort> ParseHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  HostPort out;
  out.host = address.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host == "localhost") out.host = "127.0.0.1";
  std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int p = std::stoi(port);
  if (p > 65535) return std::nullopt;
  out.port = static_cast<uint16_t>(p);
  return out;
}

std::string Url(bool tls, const std::string& host, uint16_t port) {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(tls ? "https" : "http") + "://" + shown + ":" + std::to_string(port);
}

// Runs a coroutine to completion on a private io_context (start-up only).
template <typename T>
T BlockOn(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  std::exception_ptr error;
  auto wrapper = [](boost::asio::awaitable<T> t, std::optional<T>* slot) -> boost::asio::awaitable<void> {
    slot->emplace(co_await std::move(t));
  };
  boost::asio::co_spawn(io, wrapper(std::move(task), &out),
                        [&error](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

void BlockOn(boost::asio::awaitable<void> task) {
  boost::asio::io_context io;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&error](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
}

boost::asio::awaitable<void> SweepBelowQuorum(gw::ObjectLayer& layer, SysTime started,
                                              const std::atomic<bool>& stop) {
  auto r = co_await layer.RemoveBelowQuorum(started, stop);
  if (!r.ok()) {
    log::Warn("below-quorum sweep stopped", {{"error", r.status().ToString()}});
  } else if (r->versions_removed > 0 || r->sets_skipped > 0) {
    log::Info("below-quorum sweep done", {{"versions_removed", r->versions_removed},
                                          {"keys_examined", r->keys_examined},
                                          {"sets_skipped", r->sets_skipped}});
  }
}

// Re-reads users and tiers now and then, so that changes made through
// another gateway reach this one (issue 7); a single server changes them in
// place.
boost::asio::awaitable<void> RefreshConfig(gw::UserStore& users, gw::TierRegistry& tiers,
                                           const std::atomic<bool>& stop) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  while (!stop) {
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (stop) break;
    Status st = co_await users.Reload();
    if (!st.ok()) log::Debug("user reload failed", {{"error", st.ToString()}});
    st = co_await tiers.Reload();
    if (!st.ok()) log::Debug("tier reload failed", {{"error", st.ToString()}});
  }
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// A gateway's name for cluster leases: stable across its restarts, distinct
// from other gateways (pods have their own host names; gateways on one host
// have their own addresses).
std::string GatewayIdentity(const ServerFlags& flags) {
  return "gateway@" + HostName() + "/" + flags.address;
}

// A positive whole number from the environment, or `fallback`.
long EnvSeconds(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n <= 0) {
    log::Warn("ignoring a bad number in the environment", {{"variable", name}, {"value", v}});
    return fallback;
  }
  return n;
}

std::optional<server::Topology> LoadTopology(const ServerFlags& flags,
                                             const std::filesystem::path& data_dir) {
  if (!flags.config.empty()) {
    auto t = server::LoadTopology(flags.config, data_dir.string());
    if (!t.ok()) {
      log::Error("bad topology", {{"config", flags.config}, {"error", t.status().message()}});
      return std::nullopt;
    }
    return std::move(*t);
  }
  server::Topology topology = server::DefaultTopology(data_dir.string());
  // A fresh pool folder gets its drive folders (a data directory from before
  // the cold pool existed gets a cold pool); an existing one keeps what it
  // has (a missing drive is an offline drive, not a new empty one).
  std::error_code ec;
  for (const auto& pool : topology.pools) {
    if (std::filesystem::exists(data_dir / pool.name, ec)) continue;
    for (const auto& d : pool.sets[0].drives) {
      std::filesystem::create_directories(d.path, ec);
      if (ec) {
        log::Error("cannot create drive folder", {{"path", d.path}, {"error", ec.message()}});
        return std::nullopt;
      }
    }
  }
  return topology;
}

// Each opened drive is wrapped in an InstrumentedDrive that records its
// I/O latency and errors into `registry` (which must outlive the drives).
gw::ObjectLayerOptions OpenDrives(const server::Topology& topology,
                                  boost::asio::thread_pool& blocking,
                                  metrics::Registry& registry) {
  gw::ObjectLayerOptions options;
  options.storage_classes = topology.storage_classes;
  size_t online = 0, total = 0;
  for (const auto& pool_spec : topology.pools) {
    gw::Pool pool;
    pool.name = pool_spec.name;
    for (const auto& set_spec : pool_spec.sets) {
      gw::ErasureSet set;
      set.k = pool_spec.data;
      set.m = pool_spec.parity;
      for (const auto& d : set_spec.drives) {
        ++total;
        set.names.push_back(d.name);
        server::LocalDriveOptions lo{d.name, d.path, blocking.get_executor()};
        server::SweepStats sweep;
        auto drive = server::OpenLocalDrive(lo, &sweep);
        if (!drive.ok()) {
          log::Warn("drive offline", {{"drive", d.name},
                                      {"path", d.path},
                                      {"error", drive.status().ToString()}});
          set.drives.push_back(nullptr);
          continue;
        }
        if (sweep.orphan_files_removed > 0) {
          log::Info("removed orphaned shard files",
                    {{"drive", d.name}, {"files", sweep.orphan_files_removed}});
        }
        ++online;
        auto probe = std::make_shared<server::DriveProbe>(registry, pool_spec.name, d.name);
        set.drives.push_back(server::InstrumentDrive(std::move(*drive), std::move(probe)));
      }
      pool.sets.push_back(std::move(set));
    }
    options.pools.push_back(std::move(pool));
  }
  log::Info("drives opened", {{"online", online}, {"total", total}});
  return options;
}

int RunServer(const ServerFlags& flags) {
  auto s3_address = ParseHostPort(flags.address);
  if (!s3_address) return Usage("--address must be HOST:PORT");
  std::optional<HostPort> admin_address;
  if (flags.admin_address != "off") {
    admin_address = ParseHostPort(flags.admin_address);
    if (!admin_address) return Usage("--admin-address must be HOST:PORT or off");
  }
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Usage("--tls-cert and --tls-key go together");
  }

  gw::Credentials root;
  const char* ak = std::getenv("STRATA_ACCESS_KEY");
  const char* sk = std::getenv("STRATA_SECRET_KEY");
  bool loopback_only = IsLoopback(s3_address->host) &&
                       (!admin_address || IsLoopback(admin_address->host));
  if (ak && sk && *ak && *sk) {
    root = {ak, sk};
  } else if (loopback_only) {
    root = {std::string(kDevAccessKey), std::string(kDevSecretKey)};
    std::cout << "No STRATA_ACCESS_KEY/STRATA_SECRET_KEY set: using the development credentials\n"
              << "  access key: " << kDevAccessKey << "\n  secret key: " << kDevSecretKey
              << "\n(only allowed on a loopback address)\n";
  } else {
    log::Error("refusing to listen beyond loopback without STRATA_ACCESS_KEY and STRATA_SECRET_KEY");
    return 1;
  }

  std::error_code ec;
  std::filesystem::path data_dir = std::filesystem::absolute(flags.data, ec);
  auto topology = LoadTopology(flags, data_dir);
  if (!topology) return 1;

  // Signals are waited for on this thread, blocked before any other thread
  // starts (threads inherit the mask): no other thread ever sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  boost::asio::thread_pool blocking(8);
  metrics::Registry registry;  // before the drives: they record into it until destroyed
  // A gateway's drives are the nodes': learn which are up before serving.
  RemoteCluster cluster;
  gw::ObjectLayerOptions layer_options;
  if (flags.gateway) {
    const char* secret = std::getenv("STRATA_CLUSTER_SECRET");
    auto remote = OpenRemoteDrives(*topology, secret ? secret : "", flags.ca_file, &cluster);
    if (!remote.ok()) {
      log::Error("cannot reach the cluster", {{"error", remote.status().ToString()}});
      return 1;
    }
    layer_options = std::move(*remote);
    BlockOn(PingNodes(cluster));
    size_t online = 0, total = 0;
    for (const auto& [name, node] : cluster.nodes) {
      for (const auto& d : node.drives) {
        ++total;
        online += d->online() ? 1 : 0;
      }
    }
    log::Info("cluster drives", {{"online", online}, {"total", total}});
  } else {
    layer_options = OpenDrives(*topology, blocking, registry);
  }
  auto objects = gw::ObjectLayer::Create(std::move(layer_options));
  if (!objects.ok()) {
    log::Error("cannot start the object layer", {{"error", objects.status().ToString()}});
    return 1;
  }

  auto users = BlockOn(gw::UserStore::Open({objects->get(), root, &Clock::Real()}));
  // A gateway may start before its nodes (a Helm install starts them
  // together): it waits for them instead of exiting, and still stops on a
  // signal meanwhile.
  for (int waited = 0;
       flags.gateway && !users.ok() && users.status().code() == Code::kUnavailable; ++waited) {
    if (waited % 10 == 0) {
      log::Warn("waiting for the nodes", {{"error", users.status().ToString()}});
    }
    timespec one_second{1, 0};
    if (sigtimedwait(&signals, nullptr, &one_second) > 0) return 0;
    BlockOn(PingNodes(cluster));
    users = BlockOn(gw::UserStore::Open({objects->get(), root, &Clock::Real()}));
  }
  if (!users.ok()) {
    log::Error("cannot read the users", {{"error", users.status().ToString()}});
    return 1;
  }
  if ((*users)->unreadable() > 0) {
    log::Warn("users sealed under another root secret key are ignored; add them again",
              {{"users", (*users)->unreadable()}});
  }

  auto tiers = BlockOn(gw::TierRegistry::Open({objects->get(), root, &Clock::Real()}));
  if (!tiers.ok()) {
    log::Error("cannot read the tiers", {{"error", tiers.status().ToString()}});
    return 1;
  }
  (*objects)->SetTierResolver(
      [tier_registry = tiers->get()](std::string_view name) { return tier_registry->Find(name); });

  gw::S3Metrics s3_metrics(registry);
  RegisterServerMetrics(registry, **objects);
  RegisterProcessMetrics(registry);

  gw::S3ServiceOptions service_options;
  service_options.objects = objects->get();
  service_options.root = root;
  service_options.users = users->get();
  service_options.metrics = &s3_metrics;
  service_options.access_log = flags.access_log;
  auto service = std::make_shared<gw::S3Service>(service_options);

  // Healing (issue 7): passes every STRATA_HEAL_INTERVAL_SECONDS, a bitrot
  // scan at STRATA_BITROT_BYTES_PER_SECOND (0: off) paused for
  // STRATA_BITROT_INTERVAL_SECONDS after each complete scan.
  gw::HealerOptions heal;
  heal.objects = objects->get();
  heal.registry = &registry;
  heal.interval = std::chrono::seconds(EnvSeconds("STRATA_HEAL_INTERVAL_SECONDS", 600));
  heal.bitrot_interval = std::chrono::seconds(EnvSeconds("STRATA_BITROT_INTERVAL_SECONDS", 3600));
  if (const char* v = std::getenv("STRATA_BITROT_BYTES_PER_SECOND"); v && std::string(v) == "0") {
    heal.bitrot_bytes_per_second = 0;
  } else {
    heal.bitrot_bytes_per_second =
        static_cast<double>(EnvSeconds("STRATA_BITROT_BYTES_PER_SECOND", 16 << 20));
  }
  // Gateways take turns for passes and bitrot scans (one at a time in the
  // cluster); an embedded server owns its drives and heals alone.
  if (flags.gateway) heal.lease_holder = GatewayIdentity(flags);
  gw::Healer healer(std::move(heal));

  const bool tls = !flags.tls_cert.empty();
  std::unique_ptr<gw::HttpServer> admin_listener;
  if (admin_address) {
    gw::AdminServiceOptions admin_options;
    admin_options.objects = objects->get();
    admin_options.users = users->get();
    admin_options.tiers = tiers->get();
    admin_options.registry = &registry;
    admin_options.healer = &healer;
    admin_options.root = root;
    auto admin = std::make_shared<gw::AdminService>(admin_options);
    gw::HttpServerOptions http;
    http.host = admin_address->host;
    http.port = admin_address->port;
    http.tls_cert_file = flags.tls_cert;
    http.tls_key_file = flags.tls_key;
    http.threads = 1;  // operator traffic never queues behind S3 traffic
    auto started = gw::HttpServer::Start(
        http, [admin](gw::Exchange& ex) { return admin->Handle(ex); });
    if (!started.ok()) {
      log::Error("cannot start the admin listener", {{"address", flags.admin_address},
                                                     {"error", started.status().ToString()}});
      return 1;
    }
    admin_listener = std::move(*started);
    std::cout << "Admin endpoint: " << Url(tls, admin_address->host, admin_listener->port())
              << std::endl;
  }

  gw::HttpServerOptions http;
  http.host = s3_address->host;
  http.port = s3_address->port;
  http.tls_cert_file = flags.tls_cert;
  http.tls_key_file = flags.tls_key;
  http.threads = flags.io_threads;
  auto listener = gw::HttpServer::Start(
      http, [service](gw::Exchange& ex) { return service->Handle(ex); });
  if (!listener.ok()) {
    log::Error("cannot start the S3 listener",
               {{"address", flags.address}, {"error", listener.status().ToString()}});
    return 1;
  }
  std::cout << "S3 endpoint: " << Url(tls, s3_address->host, (*listener)->port()) << std::endl;

  // The lifecycle scanner: a day and the pause between scans can be
  // shortened for tests and demos.
  lifecycle::ScannerOptions scan;
  scan.objects = objects->get();
  scan.registry = &registry;
  if (long day = EnvSeconds("STRATA_LIFECYCLE_DAY_SECONDS", 0); day > 0) {
    scan.day = lifecycle::DayLength{std::chrono::seconds(day), false};
  }
  scan.interval = std::chrono::seconds(EnvSeconds("STRATA_LIFECYCLE_SCAN_SECONDS", 3600));
  scan.stores = [layer = objects->get(), tier_registry = tiers->get()] {
    auto out = tier_registry->Stores();
    for (const auto& pool : layer->pools()) {
      if (auto store = layer->Store("pool:" + pool.name); store.ok()) {
        out.emplace_back("pool:" + pool.name, *store);
      }
    }
    return out;
  };
  // One embedded server owns its drives; gateways are told apart.
  scan.lease_holder = flags.gateway ? GatewayIdentity(flags) : "server";
  lifecycle::Scanner scanner(std::move(scan));

  // Background work on its own thread: the below-quorum sweep (commits a
  // crash cut short; nothing written by this process is touched, see
  // RemoveBelowQuorum), the config refresh, the lifecycle scanner and the
  // healer.
  std::atomic<bool> stop_background{false};
  // The sweep takes what was left below quorum before this process started.
  // Among gateways, another one may be committing a version stamped a moment
  // ago (by a clock up to the internal API's 60 s window off): those are
  // not debris, so a gateway only sweeps what is older by a wide margin.
  const SysTime sweep_before =
      Clock::Real().Now() - (flags.gateway ? std::chrono::minutes(5) : std::chrono::minutes(0));
  std::thread background([layer = objects->get(), user_store = users->get(),
                          tier_registry = tiers->get(), &scanner, &healer, &stop_background,
                          &cluster, gateway = flags.gateway, sweep_before] {
    boost::asio::io_context io;
    if (gateway) {
      boost::asio::co_spawn(io, WatchNodes(cluster, stop_background, std::chrono::seconds(1)),
                            boost::asio::detached);
    }
    boost::asio::co_spawn(io, SweepBelowQuorum(*layer, sweep_before, stop_background),
                          boost::asio::detached);
    boost::asio::co_spawn(io, RefreshConfig(*user_store, *tier_registry, stop_background),
                          boost::asio::detached);
    boost::asio::co_spawn(io, scanner.Run(stop_background), boost::asio::detached);
    boost::asio::co_spawn(io, healer.Run(stop_background), boost::asio::detached);
    io.run();
  });

  int sig = 0;
  sigwait(&signals, &sig);
  log::Info("stopping: finishing in-flight requests", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*listener)->Stop();
  if (admin_listener) admin_listener->Stop();
  stop_background = true;
  background.join();
  blocking.join();
  log::Info("stopped");
  return 0;
}

}  // namespace

int ServerMain(int argc, char** argv) {
  ServerFlags flags;
  flags.gateway = std::string_view(argv[1]) == "gateway";
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--data") ok = value(flags.data);
    else if (arg == "--address") ok = value(flags.address);
    else if (arg == "--admin-address") ok = value(flags.admin_address);
    else if (arg == "--config") ok = value(flags.config);
    else if (arg == "--tls-cert") ok = value(flags.tls_cert);
    else if (arg == "--tls-key") ok = value(flags.tls_key);
    else if (arg == "--access-log") flags.access_log = true;
    else if (arg == "--node-ca") ok = value(flags.ca_file);
    else if (arg == "--io-threads") {
      std::string v;
      ok = value(v);
      if (ok) flags.io_threads = std::strtoul(v.c_str(), nullptr, 10);
    } else if (arg == "-h" || arg == "--help") return Usage(nullptr);
    else if (i == 2 && arg[0] != '-' && !flags.gateway) flags.data = arg;  // `strata server DIR`
    else return Usage(("unknown argument " + arg).c_str());
    if (!ok) return Usage(("missing value for " + arg).c_str());
  }
  if (flags.gateway && flags.config.empty()) return Usage("a gateway needs --config");
  return RunServer(flags);
}

}  // namespace strata
