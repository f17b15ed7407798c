#include "inference/metrics_registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <set>
#include <utility>

#include "core/error.hpp"

namespace recsys::metrics {

void Counter::increment(double amount) {
  if (amount < 0.0) {
    throw Error("counter increment must not be negative, got " + std::to_string(amount));
  }
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void Counter::set_total(double total) {
  value_.store(total, std::memory_order_relaxed);
}

void Gauge::add(double amount) {
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(bounds.size() + 1, 0) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw Error("histogram bucket bounds must be strictly ascending");
  }
}

void Histogram::observe(double value) {
  // Bucket i counts values <= bounds_[i]; the first bound not below `value` is its bucket.
  auto bucket = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                         bounds_.begin());

  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (auto count : counts_) {
    running += count;
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.sum = sum_;
  snapshot.count = running;
  return snapshot;
}

template <typename Series>
Family<Series>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::function<std::unique_ptr<Series>()> make_series)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      make_series_(std::move(make_series)) {}

template <typename Series>
Series& Family<Series>::series(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    throw Error("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                " label values, got " + std::to_string(label_values.size()));
  }
  std::lock_guard lock(mutex_);
  auto& slot = series_[label_values];
  if (!slot) {
    slot = make_series_();
  }
  return *slot;
}

template <typename Series>
void Family<Series>::clear() {
  std::lock_guard lock(mutex_);
  series_.clear();
}

template <typename Series>
void Family<Series>::for_each(
    const std::function<void(const std::vector<std::string>&, const Series&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [label_values, series] : series_) {
    visit(label_values, *series);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

namespace {

const std::regex& metric_name_pattern() {
  static const std::regex pattern("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return pattern;
}

const std::regex& label_name_pattern() {
  static const std::regex pattern("[a-zA-Z_][a-zA-Z0-9_]*");
  return pattern;
}

std::string escape_help(const std::string& help) {
  std::string escaped;
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

// Renders {name="value",...}; `extra` is appended last (the histogram's le label).
std::string format_labels(const std::vector<std::string>& names,
                          const std::vector<std::string>& values, const std::string& extra = {}) {
  if (names.empty() && extra.empty()) {
    return {};
  }
  std::string text = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      text += ',';
    }
    text += names[i] + "=\"" + escape_label_value(values[i]) + '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) {
      text += ',';
    }
    text += extra;
  }
  text += '}';
  return text;
}

void render_header(std::string& out, const std::string& name, const std::string& help,
                   const char* type) {
  out += "# HELP " + name + ' ' + escape_help(help) + '\n';
  out += "# TYPE " + name + ' ' + type + '\n';
}

template <typename Series>
void render_simple(std::string& out, const Family<Series>& family, const char* type) {
  render_header(out, family.name(), family.help(), type);
  family.for_each([&](const std::vector<std::string>& values, const Series& series) {
    out += family.name() + format_labels(family.label_names(), values) + ' ' +
           format_value(series.value()) + '\n';
  });
}

void render_histogram(std::string& out, const HistogramFamily& family,
                      const std::vector<double>& bounds) {
  render_header(out, family.name(), family.help(), "histogram");
  const auto& names = family.label_names();
  family.for_each([&](const std::vector<std::string>& values, const Histogram& histogram) {
    auto snapshot = histogram.snapshot();
    for (std::size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
      std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
      out += family.name() + "_bucket" + format_labels(names, values, "le=\"" + le + '"') + ' ' +
             std::to_string(snapshot.cumulative_counts[i]) + '\n';
    }
    out += family.name() + "_sum" + format_labels(names, values) + ' ' +
           format_value(snapshot.sum) + '\n';
    out += family.name() + "_count" + format_labels(names, values) + ' ' +
           std::to_string(snapshot.count) + '\n';
  });
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string format_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void Registry::check_new_name(const std::string& name, const std::vector<std::string>& label_names,
                              bool is_histogram) const {
  if (!std::regex_match(name, metric_name_pattern())) {
    throw Error("invalid metric name '" + name + "': use letters, digits, '_' and ':'");
  }
  std::set<std::string> seen;
  for (const auto& label : label_names) {
    if (!std::regex_match(label, label_name_pattern()) || label.starts_with("__") ||
        (is_histogram && label == "le") || !seen.insert(label).second) {
      throw Error("invalid or repeated label name '" + label + "' on metric " + name);
    }
  }
  auto taken = [&name](const auto& families) {
    return std::any_of(families.begin(), families.end(),
                       [&name](const auto& family) { return family->name() == name; });
  };
  if (taken(counters_) || taken(gauges_) || taken(histograms_)) {
    throw Error("metric " + name + " is registered twice");
  }
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 const std::vector<std::string>& label_names) {
  std::lock_guard lock(mutex_);
  check_new_name(name, label_names, false);
  counters_.push_back(std::make_unique<CounterFamily>(name, help, label_names,
                                                      [] { return std::make_unique<Counter>(); }));
  order_.push_back({'c', counters_.size() - 1});
  return *counters_.back();
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names) {
  std::lock_guard lock(mutex_);
  check_new_name(name, label_names, false);
  gauges_.push_back(std::make_unique<GaugeFamily>(name, help, label_names,
                                                  [] { return std::make_unique<Gauge>(); }));
  order_.push_back({'g', gauges_.size() - 1});
  return *gauges_.back();
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& bounds) {
  std::lock_guard lock(mutex_);
  check_new_name(name, label_names, true);
  Histogram probe(bounds);  // Validates the bounds once, at registration.
  histograms_.push_back(std::make_unique<HistogramFamily>(
      name, help, label_names, [bounds] { return std::make_unique<Histogram>(bounds); }));
  order_.push_back({'h', histograms_.size() - 1});
  histogram_bounds_.push_back(bounds);
  return *histograms_.back();
}

void Registry::add_collector(std::function<void()> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  for (const auto& collect : collectors_) {
    collect();
  }

  std::string out;
  for (const auto& entry : order_) {
    switch (entry.type) {
      case 'c':
        render_simple(out, *counters_[entry.index], "counter");
        break;
      case 'g':
        render_simple(out, *gauges_[entry.index], "gauge");
        break;
      default:
        render_histogram(out, *histograms_[entry.index], histogram_bounds_[entry.index]);
        break;
    }
  }
  return out;
}

}  // namespace recsys::metrics
