#include "inference/process_metrics.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace recsys::metrics {

namespace {

std::string read_text(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    throw Error("cannot read " + file + ": is /proc mounted?");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The fields of /proc/self/stat after the command name, which may itself contain spaces and
// parentheses; fields[0] is field 3 (state) in proc(5) numbering.
std::vector<std::string> stat_fields_after_command() {
  auto text = read_text("/proc/self/stat");
  auto close = text.rfind(')');
  if (close == std::string::npos) {
    throw Error("cannot parse /proc/self/stat: no ')' after the command name");
  }
  std::istringstream in(text.substr(close + 1));
  std::vector<std::string> fields;
  std::string field;
  while (in >> field) {
    fields.push_back(field);
  }
  if (fields.size() < 20) {
    throw Error("cannot parse /proc/self/stat: only " + std::to_string(fields.size()) +
                " fields after the command name");
  }
  return fields;
}

double boot_time_seconds() {
  std::istringstream in(read_text("/proc/stat"));
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double seconds = 0.0;
      in >> seconds;
      return seconds;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  throw Error("cannot parse /proc/stat: no btime line");
}

}  // namespace

ProcessStats read_process_stats() {
  static const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStats stats;

  // proc(5): utime is field 14, stime 15, starttime 22; fields[0] is field 3.
  auto fields = stat_fields_after_command();
  stats.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks_per_second;
  static const double start_time = boot_time_seconds() + std::stod(fields[19]) / ticks_per_second;
  stats.start_time_seconds = start_time;

  std::istringstream statm(read_text("/proc/self/statm"));
  double size_pages = 0.0;
  double resident_pages = 0.0;
  statm >> size_pages >> resident_pages;
  stats.virtual_memory_bytes = size_pages * page_size;
  stats.resident_memory_bytes = resident_pages * page_size;

  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    stats.open_fds += 1.0;
  }
  return stats;
}

void register_process_metrics(Registry& registry) {
  auto& cpu = registry
                  .counter("process_cpu_seconds_total",
                           "CPU time this process used, user plus system, in seconds.")
                  .series();
  auto& resident = registry
                       .gauge("process_resident_memory_bytes",
                              "Memory of this process resident in RAM, in bytes.")
                       .series();
  auto& virtual_memory =
      registry
          .gauge("process_virtual_memory_bytes", "Virtual address space of this process, in bytes.")
          .series();
  auto& start = registry
                    .gauge("process_start_time_seconds",
                           "Time this process started, in seconds since the Unix epoch.")
                    .series();
  auto& fds =
      registry.gauge("process_open_fds", "File descriptors this process has open.").series();

  registry.add_collector([&cpu, &resident, &virtual_memory, &start, &fds] {
    try {
      auto stats = read_process_stats();
      cpu.set_total(stats.cpu_seconds);
      resident.set(stats.resident_memory_bytes);
      virtual_memory.set(stats.virtual_memory_bytes);
      start.set(stats.start_time_seconds);
      fds.set(stats.open_fds);
    } catch (const Error& error) {
      spdlog::warn("process metrics not refreshed: {}", error.what());
    }
  });
}

}  // namespace recsys::metrics
