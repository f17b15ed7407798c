#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace recsys::metrics {

// A monotonically increasing value. set_total() is for counters kept elsewhere, such as the
// CPU time that the kernel reports, and copied in just before each scrape.
class Counter {
 public:
  void increment(double amount = 1.0);
  void set_total(double total);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted in cumulative buckets with upper bounds `bounds` (ascending, +Inf
// implied), plus their sum and count.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative_counts;  // One per bound, then +Inf.
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> counts_;  // Per bucket, not cumulative; the last one is +Inf.
  double sum_ = 0.0;
};

// One metric name with its label names; series() returns the series for one set of label
// values, creating it on first use. Returned references stay valid for the family's life.
template <typename Series>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Series>()> make_series);

  Series& series(const std::vector<std::string>& label_values = {});
  // Removes every series, for info metrics whose labels change (a new model version).
  // References returned earlier by series() dangle afterwards.
  void clear();

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls `visit(label_values, series)` for every series, ordered by label values.
  void for_each(
      const std::function<void(const std::vector<std::string>&, const Series&)>& visit) const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Series>()> make_series_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Default histogram bounds in seconds, from 1 ms to 10 s.
std::vector<double> latency_buckets();

// A set of metric families rendered in the Prometheus text exposition format 0.0.4. Families
// are registered once at start; registering a name twice or an invalid name throws
// recsys::Error.
class Registry {
 public:
  CounterFamily& counter(const std::string& name, const std::string& help,
                         const std::vector<std::string>& label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     const std::vector<std::string>& label_names = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names,
                             const std::vector<double>& bounds = latency_buckets());

  // Registers `collect`, called before each render to refresh values kept elsewhere.
  void add_collector(std::function<void()> collect);

  // Renders every family with its HELP and TYPE lines, in registration order.
  std::string render() const;

 private:
  void check_new_name(const std::string& name, const std::vector<std::string>& label_names,
                      bool is_histogram) const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<GaugeFamily>> gauges_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
  std::vector<std::vector<double>> histogram_bounds_;  // Parallel to histograms_.
  struct Entry {
    char type;  // 'c', 'g' or 'h'
    std::size_t index;
  };
  std::vector<Entry> order_;
  std::vector<std::function<void()>> collectors_;
};

// Escapes a label value for the text format: backslash, double quote and line feed.
std::string escape_label_value(const std::string& value);

// Formats a sample value as the text format expects: shortest round-trip decimal, or +Inf,
// -Inf, NaN.
std::string format_value(double value);

}  // namespace recsys::metrics
