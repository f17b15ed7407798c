#include "db/vector_text.hpp"

#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace recsys::db {

std::string format_vector_text(std::span<const float> values) {
  std::string text = "[";
  char buffer[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw Error("vector value " + std::to_string(i) +
                  " is not finite: pgvector accepts "
                  "finite numbers only");
    }
    if (i > 0) {
      text += ',';
    }
    auto result = std::to_chars(buffer, buffer + sizeof buffer, values[i]);
    text.append(buffer, result.ptr);
  }
  return text + "]";
}

std::vector<float> parse_vector_text(std::string_view text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    throw Error("invalid vector text '" + std::string(text.substr(0, 40)) +
                "': expected [v1,v2,...]");
  }
  std::vector<float> values;
  const char* position = text.data() + 1;
  const char* end = text.data() + text.size() - 1;
  while (position < end) {
    float value = 0.0F;
    auto result = std::from_chars(position, end, value);
    if (result.ec != std::errc()) {
      throw Error("invalid number in vector text at offset " +
                  std::to_string(position - text.data()));
    }
    values.push_back(value);
    position = result.ptr;
    if (position < end && *position == ',') {
      ++position;
    }
  }
  return values;
}

}  // namespace recsys::db
