#include "inference/metrics_registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"

namespace recsys::metrics {
namespace {

TEST(MetricsRegistry, RendersCounterWithHelpAndType) {
  Registry registry;
  auto& requests = registry.counter("http_requests_total", "Requests.", {"method", "status"});
  requests.series({"GET", "200"}).increment();
  requests.series({"GET", "200"}).increment(2);
  requests.series({"POST", "422"}).increment();

  auto text = registry.render();
  EXPECT_NE(text.find("# HELP http_requests_total Requests.\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{method=\"GET\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{method=\"POST\",status=\"422\"} 1\n"),
            std::string::npos);
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& latency = registry.histogram("latency_seconds", "Latency.", {"route"}, {0.1, 1.0});
  auto& series = latency.series({"/a"});
  series.observe(0.05);
  series.observe(0.1);  // On the bound: counts in le="0.1".
  series.observe(0.5);
  series.observe(7.0);

  auto text = registry.render();
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_sum{route=\"/a\"} 7.65\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"/a\"} 4\n"), std::string::npos);
}

TEST(MetricsRegistry, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");

  Registry registry;
  registry.gauge("odd_gauge", "Help with a \\ and a\nline feed.", {"value"})
      .series({"say \"hi\"\n"})
      .set(1);
  auto text = registry.render();
  EXPECT_NE(text.find("# HELP odd_gauge Help with a \\\\ and a\\nline feed.\n"), std::string::npos);
  EXPECT_NE(text.find("odd_gauge{value=\"say \\\"hi\\\"\\n\"} 1\n"), std::string::npos);
}

TEST(MetricsRegistry, FormatsSpecialValues) {
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(3.0), "3");
  EXPECT_EQ(format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(MetricsRegistry, RejectsInvalidNamesAndDuplicates) {
  Registry registry;
  registry.counter("ok_total", "Fine.");
  EXPECT_THROW(registry.counter("ok_total", "Again."), Error);
  EXPECT_THROW(registry.gauge("1bad", "Starts with a digit."), Error);
  EXPECT_THROW(registry.gauge("bad-name", "Has a dash."), Error);
  EXPECT_THROW(registry.gauge("labels", "Reserved label.", {"__name"}), Error);
  EXPECT_THROW(registry.histogram("h_seconds", "le is reserved.", {"le"}), Error);
  EXPECT_THROW(registry.histogram("h2_seconds", "Unsorted.", {}, {1.0, 0.5}), Error);
}

TEST(MetricsRegistry, RejectsWrongLabelCount) {
  Registry registry;
  auto& family = registry.counter("two_labels_total", "Two labels.", {"a", "b"});
  EXPECT_THROW(family.series({"only one"}), Error);
}

TEST(MetricsRegistry, CounterRejectsNegativeIncrement) {
  Counter counter;
  EXPECT_THROW(counter.increment(-1.0), Error);
}

TEST(MetricsRegistry, CollectorsRunBeforeRender) {
  Registry registry;
  auto& gauge = registry.gauge("collected", "Set by a collector.").series();
  int calls = 0;
  registry.add_collector([&] { gauge.set(++calls); });
  EXPECT_NE(registry.render().find("collected 1\n"), std::string::npos);
  EXPECT_NE(registry.render().find("collected 2\n"), std::string::npos);
}

TEST(MetricsRegistry, ClearRemovesSeries) {
  Registry registry;
  auto& info = registry.gauge("model_info", "Info.", {"version"});
  info.series({"1"}).set(1);
  info.clear();
  info.series({"2"}).set(1);
  auto text = registry.render();
  EXPECT_EQ(text.find("version=\"1\""), std::string::npos);
  EXPECT_NE(text.find("model_info{version=\"2\"} 1\n"), std::string::npos);
}

// promtool is Prometheus's own linter of the exposition format.
TEST(MetricsRegistry, OutputPassesPromtool) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed (apt-get install prometheus)";
  }
  Registry registry;
  registry.counter("requests_total", "Requests.", {"route"}).series({"/a/{id}"}).increment(5);
  auto& latency = registry.histogram("request_duration_seconds", "Latency.", {"route"});
  latency.series({"/a/{id}"}).observe(0.02);
  latency.series({"weird \"route\"\n"}).observe(3);
  registry.gauge("temperature_celsius", "A gauge.").series().set(-4.5);

  auto file = std::filesystem::temp_directory_path() / "recsys_metrics_promtool.txt";
  std::ofstream(file) << registry.render();
  std::string command = "promtool check metrics < " + file.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    output += buffer;
  }
  int status = pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << output;
}

}  // namespace
}  // namespace recsys::metrics
