#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace recsys {

// Reads a model's hyperparameters from a JSON object, one name at a time, checking each type
// and range; finish() then rejects the names no read asked for, so a misspelled or foreign
// hyperparameter is an error instead of being silently ignored.
class HyperparameterReader {
 public:
  // Throws recsys::Error unless `values` is a JSON object.
  HyperparameterReader(std::string model, const nlohmann::json& values);

  int read_int(const std::string& name, int default_value, int min, int max);
  std::uint64_t read_seed(const std::string& name, std::uint64_t default_value);
  // Accepts values in [min, max]; `min_exclusive` makes the lower bound open.
  double read_double(const std::string& name, double default_value, double min, double max,
                     bool min_exclusive = false);
  bool read_bool(const std::string& name, bool default_value);
  std::string read_choice(const std::string& name, const std::string& default_value,
                          const std::vector<std::string>& choices);

  // Throws recsys::Error naming the first unknown hyperparameter and the known ones.
  void finish() const;

 private:
  const nlohmann::json* find(const std::string& name);
  [[noreturn]] void fail(const std::string& name, const std::string& problem) const;

  std::string model_;
  nlohmann::json values_;
  std::set<std::string> known_;
};

}  // namespace recsys
