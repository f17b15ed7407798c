#pragma once

#include <string>

namespace recsys::tracking {

// Formats `value` exactly as Python's repr(float) does ("0.5", "1.0", "1e-05", "1e+16", "nan",
// "inf", "-inf"), because MLflow's file store writes metric values with Python's str(float) and
// files written here should match it byte for byte.
std::string format_python_float(double value);

}  // namespace recsys::tracking
