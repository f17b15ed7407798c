#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tracking/python_float.hpp"
#include "tracking/yaml_text.hpp"

namespace recsys::tracking {
namespace {

// Expected strings are Python 3's repr() of the same doubles.
TEST(PythonFloat, MatchesPythonRepr) {
  EXPECT_EQ(format_python_float(0.0), "0.0");
  EXPECT_EQ(format_python_float(-0.0), "-0.0");
  EXPECT_EQ(format_python_float(1.0), "1.0");
  EXPECT_EQ(format_python_float(0.5), "0.5");
  EXPECT_EQ(format_python_float(0.1), "0.1");
  EXPECT_EQ(format_python_float(-2.5), "-2.5");
  EXPECT_EQ(format_python_float(123456.0), "123456.0");
  EXPECT_EQ(format_python_float(0.0001), "0.0001");
  EXPECT_EQ(format_python_float(0.00001), "1e-05");
  EXPECT_EQ(format_python_float(1.5e-7), "1.5e-07");
  EXPECT_EQ(format_python_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_python_float(1e16), "1e+16");
  EXPECT_EQ(format_python_float(1.25e22), "1.25e+22");
  EXPECT_EQ(format_python_float(0.41234567890123456), "0.4123456789012346");
  EXPECT_EQ(format_python_float(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_python_float(1e100), "1e+100");
}

TEST(PythonFloat, SpecialValues) {
  EXPECT_EQ(format_python_float(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(format_python_float(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_python_float(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(YamlQuoting, QuotesWhatPyYamlWouldResolve) {
  for (const char* text : {"", "0", "123", "-5", "1.5", ".5", "true", "False", "yes", "off", "null",
                           "~", "2024-01-02", "0x1F", ".inf", ".NaN", "<<"}) {
    EXPECT_TRUE(yaml_string_needs_quotes(text)) << "'" << text << "'";
  }
}

TEST(YamlQuoting, QuotesIndicatorsAndSeparators) {
  for (const char* text : {"- item", "key: value", "a #comment", "{\"uri\": \"/x\"}", "[1]",
                           "'quoted'", "@at", "`tick", " leading", "trailing ", "colon:"}) {
    EXPECT_TRUE(yaml_string_needs_quotes(text)) << "'" << text << "'";
  }
}

TEST(YamlQuoting, LeavesPlainStringsPlain) {
  for (const char* text : {"Default", "active", "file:///tmp/mlruns/0", "movielens", "0a1b2c3d4e5f",
                           "mlflow-artifacts:/1/abc/artifacts", "None", "READY", "run-1", "1e5",
                           "a:b", "with space"}) {
    EXPECT_FALSE(yaml_string_needs_quotes(text)) << "'" << text << "'";
  }
}

TEST(YamlMapping, DumpsSortedBlockMapping) {
  YamlMapping meta;
  meta.set_string("name", "Default")
      .set_string("experiment_id", "0")
      .set_int("creation_time", 1700000000000)
      .set_null("end_time")
      .set_empty_list("tags")
      .set_string("source_name", "")
      .set_map("aliases", {})
      .set_map("nested", {{"mlflow.data.context", "training"}, {"b", "1"}});
  EXPECT_EQ(meta.dump(),
            "aliases: {}\n"
            "creation_time: 1700000000000\n"
            "end_time: null\n"
            "experiment_id: '0'\n"
            "name: Default\n"
            "nested:\n"
            "  b: '1'\n"
            "  mlflow.data.context: training\n"
            "source_name: ''\n"
            "tags: []\n");
}

}  // namespace
}  // namespace recsys::tracking
