// The composition root: `strata server` wires drives, the object layer, the
// S3 service and the HTTP listener together. Nothing else reads flags or the
// environment.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <malloc.h>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "common/clock.h"
#include "gateway/http_server.h"
#include "gateway/object_layer.h"
#include "gateway/s3_service.h"
#include "server/local_drive.h"
#include "server/topology.h"

namespace {

using namespace strata;

constexpr std::string_view kDevAccessKey = "strata-dev";
constexpr std::string_view kDevSecretKey = "strata-dev-secret-key";

struct ServerFlags {
  std::string data = "./data";
  std::string address = "127.0.0.1:9000";
  std::string config;
  std::string tls_cert, tls_key;
  size_t io_threads = 0;  // 0 = one per core
};

int Usage(const char* why) {
  if (why) std::cerr << "strata: " << why << "\n";
  std::cerr << "usage: strata server [--data DIR] [--address HOST:PORT] [--config FILE]\n"
               "                     [--tls-cert FILE --tls-key FILE]\n";
  return 2;
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

boost::asio::awaitable<void> SweepBelowQuorum(gw::ObjectLayer& layer, SysTime started,
                                              const std::atomic<bool>& stop) {
  auto r = co_await layer.RemoveBelowQuorum(started, stop);
  if (!r.ok()) {
    std::cerr << "strata: below-quorum sweep stopped: " << r.status().ToString() << "\n";
  } else if (r->versions_removed > 0 || r->sets_skipped > 0) {
    std::cerr << "strata: below-quorum sweep: removed " << r->versions_removed << " versions of "
              << r->keys_examined << " keys examined; " << r->sets_skipped
              << " sets skipped (drives offline)\n";
  }
}

int RunServer(const ServerFlags& flags) {
  size_t colon = flags.address.rfind(':');
  if (colon == std::string::npos) return Usage("--address must be HOST:PORT");
  std::string host = flags.address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(flags.address.substr(colon + 1));
  } catch (...) {
    return Usage("bad port in --address");
  }
  if (port < 0 || port > 65535) return Usage("bad port in --address");
  if (host == "localhost") host = "127.0.0.1";
  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Usage("--tls-cert and --tls-key go together");
  }

  gw::Credentials root;
  const char* ak = std::getenv("STRATA_ACCESS_KEY");
  const char* sk = std::getenv("STRATA_SECRET_KEY");
  if (ak && sk && *ak && *sk) {
    root = {ak, sk};
  } else if (IsLoopback(host)) {
    root = {std::string(kDevAccessKey), std::string(kDevSecretKey)};
    std::cout << "No STRATA_ACCESS_KEY/STRATA_SECRET_KEY set: using the development credentials\n"
              << "  access key: " << kDevAccessKey << "\n  secret key: " << kDevSecretKey
              << "\n(only allowed on a loopback address)\n";
  } else {
    std::cerr << "strata: refusing to listen on " << host
              << " without STRATA_ACCESS_KEY and STRATA_SECRET_KEY\n";
    return 1;
  }

  std::error_code ec;
  std::filesystem::path data_dir = std::filesystem::absolute(flags.data, ec);
  server::Topology topology;
  if (!flags.config.empty()) {
    auto t = server::LoadTopology(flags.config, data_dir.string());
    if (!t.ok()) {
      std::cerr << "strata: " << t.status().message() << "\n";
      return 1;
    }
    topology = std::move(*t);
  } else {
    topology = server::DefaultTopology(data_dir.string());
    // A fresh data directory gets its drive folders; an existing one keeps
    // what it has (a missing drive is an offline drive, not a new empty one).
    if (!std::filesystem::exists(data_dir / "hot", ec)) {
      for (const auto& d : topology.pools[0].sets[0].drives) {
        std::filesystem::create_directories(d.path, ec);
        if (ec) {
          std::cerr << "strata: cannot create " << d.path << ": " << ec.message() << "\n";
          return 1;
        }
      }
    }
  }

  boost::asio::thread_pool blocking(8);
  gw::ObjectLayerOptions options;
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
        server::LocalDriveOptions lo{d.name, d.path, blocking.get_executor()};
        server::SweepStats sweep;
        auto drive = server::OpenLocalDrive(lo, &sweep);
        if (!drive.ok()) {
          std::cerr << "strata: drive " << d.name << " (" << d.path
                    << ") is offline: " << drive.status().ToString() << "\n";
          set.drives.push_back(nullptr);
          continue;
        }
        if (sweep.orphan_files_removed > 0) {
          std::cerr << "strata: drive " << d.name << ": removed " << sweep.orphan_files_removed
                    << " orphaned shard files\n";
        }
        ++online;
        set.drives.push_back(std::shared_ptr<server::Drive>(std::move(*drive)));
      }
      pool.sets.push_back(std::move(set));
    }
    options.pools.push_back(std::move(pool));
  }
  std::cerr << "strata: " << online << " of " << total << " drives online\n";

  auto objects = gw::ObjectLayer::Create(std::move(options));
  if (!objects.ok()) {
    std::cerr << "strata: " << objects.status().ToString() << "\n";
    return 1;
  }
  gw::S3ServiceOptions service_options;
  service_options.objects = objects->get();
  service_options.root = root;
  auto service = std::make_shared<gw::S3Service>(service_options);

  // Signals are waited for on this thread; the I/O threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  gw::HttpServerOptions http;
  http.host = host;
  http.port = static_cast<uint16_t>(port);
  http.tls_cert_file = flags.tls_cert;
  http.tls_key_file = flags.tls_key;
  http.threads = flags.io_threads;
  auto listener = gw::HttpServer::Start(
      http, [service](gw::Exchange& ex) { return service->Handle(ex); });
  if (!listener.ok()) {
    std::cerr << "strata: " << listener.status().ToString() << "\n";
    return 1;
  }
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::cout << "S3 endpoint: " << (flags.tls_cert.empty() ? "http" : "https") << "://"
            << shown_host << ":" << (*listener)->port() << std::endl;

  // Commits a crash cut short below quorum are removed in the background;
  // nothing written by this process is touched (see RemoveBelowQuorum).
  std::atomic<bool> stop_repair{false};
  std::thread repair([layer = objects->get(), &stop_repair, started = Clock::Real().Now()] {
    boost::asio::io_context io;
    boost::asio::co_spawn(io, SweepBelowQuorum(*layer, started, stop_repair),
                          boost::asio::detached);
    io.run();
  });

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "strata: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": finishing in-flight requests\n";
  (*listener)->Stop();
  stop_repair = true;
  repair.join();
  blocking.join();
  std::cerr << "strata: stopped\n";
  return 0;
}

int ServerMain(int argc, char** argv) {
  ServerFlags flags;
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
    else if (arg == "--config") ok = value(flags.config);
    else if (arg == "--tls-cert") ok = value(flags.tls_cert);
    else if (arg == "--tls-key") ok = value(flags.tls_key);
    else if (arg == "--io-threads") {
      std::string v;
      ok = value(v);
      if (ok) flags.io_threads = std::strtoul(v.c_str(), nullptr, 10);
    } else if (arg == "-h" || arg == "--help") return Usage(nullptr);
    else if (i == 2 && arg[0] != '-') flags.data = arg;  // `strata server DIR`
    else return Usage(("unknown argument " + arg).c_str());
    if (!ok) return Usage(("missing value for " + arg).c_str());
  }
  return RunServer(flags);
}

}  // namespace

int main(int argc, char** argv) {
  // Stripe buffers (about 1 MiB) are allocated and freed per request. glibc
  // would hand them out as fresh mmaps: a page fault and a page clear per
  // 4 KiB, then munmap, on every stripe. Keep them in the heap for reuse.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (argc < 2) return Usage("missing command");
  std::string command = argv[1];
  if (command == "server") return ServerMain(argc, argv);
  if (command == "version" || command == "--version") {
    std::cout << "strata 0.1.0\n";
    return 0;
  }
  return Usage(("unknown command " + command).c_str());
}
