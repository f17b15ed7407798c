#pragma once

#include "inference/metrics_registry.hpp"

namespace recsys::metrics {

// Figures about this process read from /proc (Linux only).
struct ProcessStats {
  double cpu_seconds = 0.0;  // User plus system CPU time.
  double resident_memory_bytes = 0.0;
  double virtual_memory_bytes = 0.0;
  double start_time_seconds = 0.0;  // Since the Unix epoch.
  double open_fds = 0.0;
};

// Reads /proc/self/stat, /proc/self/statm, /proc/stat and /proc/self/fd. Throws
// recsys::Error naming the file when one cannot be read or parsed.
ProcessStats read_process_stats();

// Registers process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_start_time_seconds and process_open_fds, refreshed
// from /proc on every render.
void register_process_metrics(Registry& registry);

}  // namespace recsys::metrics
