#include "main/server_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

namespace strata {
namespace {

using metrics::Kind;
using metrics::Sample;

// Calls fn(pool, drive) for every opened drive.
template <typename Fn>
void ForEachDrive(const gw::ObjectLayer& objects, Fn fn) {
  for (const auto& pool : objects.pools())
    for (const auto& set : pool.sets)
      for (const auto& d : set.drives)
        if (d) fn(pool.name, *d);
}

// One gauge or counter per drive from its IndexStats, times `scale` (to
// report base units: Prometheus wants seconds, not microseconds).
void AddIndexFigure(metrics::Registry& registry, const gw::ObjectLayer& objects, std::string name,
                    std::string help, Kind kind, uint64_t server::IndexStats::*field,
                    double scale = 1) {
  registry.AddCollector(std::move(name), std::move(help), kind, {"pool", "drive"},
                        [&objects, field, scale] {
                          std::vector<Sample> out;
                          ForEachDrive(objects, [&](const std::string& pool, server::Drive& d) {
                            if (!d.online()) return;
                            auto stats = d.IndexStatistics();
                            if (!stats.ok()) return;
                            const double v = static_cast<double>((*stats).*field) * scale;
                            out.push_back({{pool, d.name()}, v});
                          });
                          return out;
                        });
}

void AddLayerCounter(metrics::Registry& registry, const gw::ObjectLayer& objects, std::string name,
                     std::string help, std::atomic<uint64_t> gw::ObjectLayerStats::*field) {
  registry.AddCollector(std::move(name), std::move(help), Kind::kCounter, {}, [&objects, field] {
    return std::vector<Sample>{
        {{}, static_cast<double>((objects.stats().*field).load(std::memory_order_relaxed))}};
  });
}

// /proc/self/stat fields 14 (utime), 15 (stime), 20 (num_threads), 23
// (vsize), 24 (rss pages), after the parenthesised command name.
struct ProcStat {
  double cpu_seconds = 0, threads = 0, virtual_bytes = 0, resident_bytes = 0;
};

bool ReadProcStat(ProcStat* out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  std::vector<std::string> f;  // f[0] is field 3 (state)
  while (rest >> field) f.push_back(field);
  if (f.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out->cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out->threads = std::stod(f[17]);
  out->virtual_bytes = std::stod(f[20]);
  out->resident_bytes = std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory handle itself
}

}  // namespace

void RegisterProcessMetrics(metrics::Registry& registry) {
  auto stat_figure = [&registry](std::string name, std::string help, Kind kind,
                                 double ProcStat::*field) {
    registry.AddCollector(std::move(name), std::move(help), kind, {}, [field] {
      ProcStat s;
      if (!ReadProcStat(&s)) return std::vector<Sample>{};
      return std::vector<Sample>{{{}, s.*field}};
    });
  };
  stat_figure("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
              Kind::kCounter, &ProcStat::cpu_seconds);
  stat_figure("process_resident_memory_bytes", "Resident memory size in bytes.", Kind::kGauge,
              &ProcStat::resident_bytes);
  stat_figure("process_virtual_memory_bytes", "Virtual memory size in bytes.", Kind::kGauge,
              &ProcStat::virtual_bytes);
  stat_figure("process_threads", "Number of OS threads in the process.", Kind::kGauge,
              &ProcStat::threads);
  registry.AddCollector("process_open_fds", "Number of open file descriptors.", Kind::kGauge, {},
                        [] { return std::vector<Sample>{{{}, OpenFds()}}; });
  registry.AddCollector("process_max_fds", "Maximum number of open file descriptors.",
                        Kind::kGauge, {}, [] {
                          rlimit r{};
                          getrlimit(RLIMIT_NOFILE, &r);
                          return std::vector<Sample>{{{}, static_cast<double>(r.rlim_cur)}};
                        });
  const double start = std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  registry.AddCollector("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", Kind::kGauge, {},
                        [start] { return std::vector<Sample>{{{}, start}}; });
}

void RegisterServerMetrics(metrics::Registry& registry, const gw::ObjectLayer& objects) {
  registry.AddCollector("strata_build_info", "Strata's version (always 1).", Kind::kGauge,
                        {"version"}, [] { return std::vector<Sample>{{{"0.1.0"}, 1}}; });
  registry.AddCollector(
      "strata_drive_online", "1 when the drive is online, 0 when it is offline.", Kind::kGauge,
      {"pool", "drive"}, [&objects] {
        std::vector<Sample> out;
        for (const auto& pool : objects.pools())
          for (const auto& set : pool.sets)
            for (size_t i = 0; i < set.drives.size(); ++i) {
              const auto& d = set.drives[i];
              std::string name = set.NameAt(i);  // the topology's, even when unopened
              out.push_back({{pool.name, name}, d && d->online() ? 1.0 : 0.0});
            }
        return out;
      });
  auto usage_figure = [&](std::string name, std::string help, bool used) {
    registry.AddCollector(std::move(name), std::move(help), Kind::kGauge, {"pool", "drive"},
                          [&objects, used] {
                            std::vector<Sample> out;
                            ForEachDrive(objects, [&](const std::string& pool, server::Drive& d) {
                              if (!d.online()) return;
                              auto u = d.Usage();
                              if (!u.ok()) return;
                              double v = used ? double(u->capacity_bytes - u->free_bytes)
                                              : double(u->capacity_bytes);
                              out.push_back({{pool, d.name()}, v});
                            });
                            return out;
                          });
  };
  usage_figure("strata_drive_capacity_bytes", "Size of the drive's file system.", false);
  usage_figure("strata_drive_used_bytes", "Bytes used on the drive's file system.", true);

  using S = server::IndexStats;
  AddIndexFigure(registry, objects, "strata_index_commits_total",
                 "Transactions committed to the drive's metadata index.", Kind::kCounter,
                 &S::commit_batches);
  AddIndexFigure(registry, objects, "strata_index_synced_writes_total",
                 "Synced index writes (one group commit serves many transactions).",
                 Kind::kCounter, &S::commit_groups);
  AddIndexFigure(registry, objects, "strata_rocksdb_stall_seconds_total",
                 "Time RocksDB delayed or stopped writes.", Kind::kCounter, &S::stall_micros,
                 1e-6);
  AddIndexFigure(registry, objects, "strata_rocksdb_compaction_read_bytes_total",
                 "Bytes read by RocksDB compactions.", Kind::kCounter, &S::compaction_read_bytes);
  AddIndexFigure(registry, objects, "strata_rocksdb_compaction_write_bytes_total",
                 "Bytes written by RocksDB compactions.", Kind::kCounter,
                 &S::compaction_write_bytes);
  AddIndexFigure(registry, objects, "strata_rocksdb_pending_compaction_bytes",
                 "Estimated bytes RocksDB compaction still has to rewrite.", Kind::kGauge,
                 &S::pending_compaction_bytes);
  AddIndexFigure(registry, objects, "strata_rocksdb_sst_bytes", "Size of the index's SST files.",
                 Kind::kGauge, &S::sst_bytes);
  AddIndexFigure(registry, objects, "strata_rocksdb_memtable_bytes",
                 "Size of the index's memtables.", Kind::kGauge, &S::memtable_bytes);
  AddIndexFigure(registry, objects, "strata_rocksdb_block_cache_bytes",
                 "Bytes held by the index's block cache.", Kind::kGauge, &S::block_cache_bytes);
  AddIndexFigure(registry, objects, "strata_rocksdb_estimated_keys",
                 "RocksDB's estimate of the keys in the index.", Kind::kGauge,
                 &S::estimated_keys);

  using L = gw::ObjectLayerStats;
  AddLayerCounter(registry, objects, "strata_erasure_encoded_stripes_total",
                  "Stripes erasure-coded on write (k data + m parity shards each).",
                  &L::encoded_stripes);
  AddLayerCounter(registry, objects, "strata_erasure_encoded_bytes_total",
                  "Object bytes erasure-coded on write (parity not included).", &L::encoded_bytes);
  AddLayerCounter(registry, objects, "strata_erasure_decoded_stripes_total",
                  "Stripes verified and served on read, healthy or rebuilt from parity.",
                  &L::decoded_stripes);
  AddLayerCounter(registry, objects, "strata_erasure_decoded_bytes_total",
                  "Object bytes of the stripes verified on read (whole stripes, not ranges).",
                  &L::decoded_bytes);
  AddLayerCounter(registry, objects, "strata_erasure_reconstructed_stripes_total",
                  "Stripes rebuilt from parity on read (a shard was missing or corrupt).",
                  &L::reconstructed_stripes);
  AddLayerCounter(registry, objects, "strata_erasure_corrupt_shards_total",
                  "Shard blocks whose CRC32C did not verify on read.", &L::corrupt_shards);
  AddLayerCounter(registry, objects, "strata_erasure_missing_shards_total",
                  "Shard blocks that could not be read (drive offline or failing).",
                  &L::missing_shards);
  AddLayerCounter(registry, objects, "strata_quorum_failures_total",
                  "Operations that did not reach their quorum of drives (writes, and reads "
                  "that could not resolve or rebuild).",
                  &L::quorum_failures);
  AddLayerCounter(registry, objects, "strata_list_unresolved_keys_total",
                  "Keys left out of a listing because too few drives could vouch for them.",
                  &L::unresolved_list_keys);
}

}  // namespace strata
