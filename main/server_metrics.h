// The metrics whose values live elsewhere, registered as scrape-time
// collectors: drives (state, capacity, index figures), the object layer's
// degraded-path counters, and the process (memory, CPU, file descriptors).
// Only this file and the modules' own probes know Prometheus names.
//
// Thread safety: collectors run on the scraping thread and read only
// thread-safe state (atomics, statvfs, RocksDB properties, /proc).
#pragma once

#include "common/metrics.h"
#include "gateway/object_layer.h"

namespace strata {

// `objects` must outlive the registry's last Render.
void RegisterServerMetrics(metrics::Registry& registry, const gw::ObjectLayer& objects);

// process_* figures as the Prometheus client libraries name them.
void RegisterProcessMetrics(metrics::Registry& registry);

}  // namespace strata
