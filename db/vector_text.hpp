#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::db {

// Formats `values` in pgvector's text form "[v1,v2,...]", each value with the shortest
// digits that read back to the same float.
std::string format_vector_text(std::span<const float> values);

// Parses pgvector's text form. Throws recsys::Error on malformed text.
std::vector<float> parse_vector_text(std::string_view text);

}  // namespace recsys::db
