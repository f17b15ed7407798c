#include "tracking/python_float.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace recsys::tracking {

std::string format_python_float(double value) {
  if (std::isnan(value)) {
    return "nan";
  }
  if (std::isinf(value)) {
    return value > 0 ? "inf" : "-inf";
  }

  // The shortest round-trip digits, as Python's repr uses (David Gay's algorithm, mode 0).
  std::array<char, 64> buffer{};
  auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::scientific);
  std::string_view text(buffer.data(), static_cast<std::size_t>(end - buffer.data()));

  std::string sign;
  if (!text.empty() && text.front() == '-') {
    sign = "-";
    text.remove_prefix(1);
  }
  const std::size_t e_position = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e_position)) {
    if (c != '.') {
      digits.push_back(c);
    }
  }
  const int exponent = std::atoi(std::string(text.substr(e_position + 1)).c_str());
  const int decimal_point = exponent + 1;  // Digits before the decimal point.
  const int digit_count = static_cast<int>(digits.size());

  // Python's float_repr_style 'short' switches to exponent notation outside 1e-4 <= |x| < 1e16.
  if (decimal_point <= -4 || decimal_point > 16) {
    std::string mantissa = digits.substr(0, 1);
    if (digit_count > 1) {
      mantissa += "." + digits.substr(1);
    }
    std::string exponent_text = std::to_string(std::abs(exponent));
    if (exponent_text.size() < 2) {
      exponent_text.insert(0, "0");
    }
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exponent_text;
  }
  if (decimal_point <= 0) {
    return sign + "0." + std::string(static_cast<std::size_t>(-decimal_point), '0') + digits;
  }
  if (decimal_point < digit_count) {
    const auto split = static_cast<std::size_t>(decimal_point);
    return sign + digits.substr(0, split) + "." + digits.substr(split);
  }
  return sign + digits + std::string(static_cast<std::size_t>(decimal_point - digit_count), '0') +
         ".0";
}

}  // namespace recsys::tracking
