#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

namespace recsys::cli {

// Accepts a finite number from `min` to `max`. CLI::Range lets "nan" through, since every
// comparison with NaN is false, and a NaN or infinite duration is undefined when converted.
inline CLI::Validator finite_range(double min, double max) {
  const std::string bounds =
      "[" + CLI::detail::to_string(min) + " - " + CLI::detail::to_string(max) + "]";
  return CLI::Validator(
      [min, max, bounds](std::string& input) -> std::string {
        double value = 0.0;
        if (!CLI::detail::lexical_cast(input, value)) {
          return "Value " + input + " is not a number";
        }
        if (!std::isfinite(value) || value < min || value > max) {
          return "Value " + input + " is not a finite number in " + bounds;
        }
        return std::string();
      },
      "FLOAT in " + bounds);
}

}  // namespace recsys::cli
