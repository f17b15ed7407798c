#include "train/hyperparameters.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "train/run_description.hpp"

namespace recsys {

HyperparameterReader::HyperparameterReader(std::string model, const nlohmann::json& values)
    : model_(std::move(model)), values_(values) {
  if (values_.is_null()) {
    values_ = nlohmann::json::object();
  }
  if (!values_.is_object()) {
    throw Error("model '" + model_ + "': hyperparameters must be a JSON object, got " +
                values_.dump());
  }
}

const nlohmann::json* HyperparameterReader::find(const std::string& name) {
  known_.insert(name);
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &*it;
}

void HyperparameterReader::fail(const std::string& name, const std::string& problem) const {
  throw Error("model '" + model_ + "': invalid hyperparameter " + name + ": " + problem);
}

int HyperparameterReader::read_int(const std::string& name, int default_value, int min, int max) {
  const nlohmann::json* value = find(name);
  if (value == nullptr) {
    return default_value;
  }
  if (!value->is_number_integer()) {
    fail(name, value->dump() + " is not an integer");
  }
  const auto number = value->get<std::int64_t>();
  if (number < min || number > max) {
    fail(name, std::to_string(number) + " is out of range; use " + std::to_string(min) + " to " +
                   std::to_string(max));
  }
  return static_cast<int>(number);
}

std::uint64_t HyperparameterReader::read_seed(const std::string& name,
                                              std::uint64_t default_value) {
  const nlohmann::json* value = find(name);
  if (value == nullptr) {
    return default_value;
  }
  if (!value->is_number_integer() || (value->is_number_integer() && !value->is_number_unsigned() &&
                                      value->get<std::int64_t>() < 0)) {
    fail(name, value->dump() + " is not a non-negative integer");
  }
  return value->get<std::uint64_t>();
}

double HyperparameterReader::read_double(const std::string& name, double default_value, double min,
                                         double max, bool min_exclusive) {
  const nlohmann::json* value = find(name);
  if (value == nullptr) {
    return default_value;
  }
  if (!value->is_number()) {
    fail(name, value->dump() + " is not a number");
  }
  const auto number = value->get<double>();
  const bool below = min_exclusive ? number <= min : number < min;
  if (!std::isfinite(number) || below || number > max) {
    std::ostringstream range;
    range << (min_exclusive ? "greater than " : "from ") << min
          << (min_exclusive ? " and at most " : " to ") << max;
    fail(name, json_value_text(*value) + " is out of range; use a value " + range.str());
  }
  return number;
}

bool HyperparameterReader::read_bool(const std::string& name, bool default_value) {
  const nlohmann::json* value = find(name);
  if (value == nullptr) {
    return default_value;
  }
  if (!value->is_boolean()) {
    fail(name, value->dump() + " is not true or false");
  }
  return value->get<bool>();
}

std::string HyperparameterReader::read_choice(const std::string& name,
                                              const std::string& default_value,
                                              const std::vector<std::string>& choices) {
  const nlohmann::json* value = find(name);
  if (value == nullptr) {
    return default_value;
  }
  std::string accepted;
  for (const auto& choice : choices) {
    accepted += (accepted.empty() ? "" : ", ") + choice;
  }
  if (!value->is_string()) {
    fail(name, value->dump() + " is not a string; use one of " + accepted);
  }
  const auto text = value->get<std::string>();
  for (const auto& choice : choices) {
    if (text == choice) {
      return text;
    }
  }
  fail(name, "'" + text + "' is not one of " + accepted);
}

void HyperparameterReader::finish() const {
  for (const auto& [name, value] : values_.items()) {
    if (known_.count(name) == 0) {
      std::string accepted;
      for (const auto& known : known_) {
        accepted += (accepted.empty() ? "" : ", ") + known;
      }
      throw Error("model '" + model_ + "' has no hyperparameter '" + name +
                  "'; its hyperparameters are " + accepted);
    }
  }
}

}  // namespace recsys
