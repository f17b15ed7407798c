#include "data/fields.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace recsys {

void split_fields(std::string_view text, std::string_view separator,
                  std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    std::size_t end =
        separator.size() == 1 ? text.find(separator[0], start) : text.find(separator, start);
    if (end == std::string_view::npos) {
      fields.push_back(text.substr(start));
      return;
    }
    fields.push_back(text.substr(start, end - start));
    start = end + separator.size();
  }
}

bool parse_integer(std::string_view field, std::int64_t& value) {
  const char* end = field.data() + field.size();
  auto [stop, error] = std::from_chars(field.data(), end, value);
  return !field.empty() && error == std::errc() && stop == end;
}

bool parse_id(std::string_view field, std::int64_t& id) {
  return parse_integer(field, id) && id >= 1;
}

bool parse_rating(std::string_view field, float& rating) {
  const char* end = field.data() + field.size();
  auto [stop, error] = std::from_chars(field.data(), end, rating);
  return !field.empty() && error == std::errc() && stop == end && std::isfinite(rating);
}

std::string latin1_to_utf8(std::string_view text) {
  std::string utf8;
  utf8.reserve(text.size() + 8);
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      utf8.push_back(c);
    } else {
      utf8.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return utf8;
}

std::size_t find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }

    // The length of the sequence and the range of its second byte (RFC 3629, section 4).
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte == 0xE0) {
      length = 3;
      low = 0xA0;
    } else if (byte >= 0xE1 && byte <= 0xEC) {
      length = 3;
    } else if (byte == 0xED) {
      length = 3;
      high = 0x9F;
    } else if (byte >= 0xEE && byte <= 0xEF) {
      length = 3;
    } else if (byte == 0xF0) {
      length = 4;
      low = 0x90;
    } else if (byte >= 0xF1 && byte <= 0xF3) {
      length = 4;
    } else if (byte == 0xF4) {
      length = 4;
      high = 0x8F;
    } else {
      return i;
    }

    if (i + length > text.size()) {
      return i;
    }
    auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < low || second > high) {
      return i;
    }
    for (std::size_t k = 2; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if (next < 0x80 || next > 0xBF) {
        return i;
      }
    }
    i += length;
  }
  return std::string_view::npos;
}

bool contains_control_character(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7F) {
      return true;
    }
  }
  return false;
}

bool csv_record_continues(std::string_view text) {
  bool quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;  // A doubled quote toggles twice and leaves the state unchanged.
    }
  }
  return quoted;
}

std::string split_csv_record(std::string_view record, std::vector<std::string>& fields) {
  fields.clear();
  std::size_t i = 0;
  while (true) {
    std::string field;
    if (i < record.size() && record[i] == '"') {
      ++i;
      while (true) {
        if (i >= record.size()) {
          return "a quoted field has no closing quote";
        }
        if (record[i] == '"') {
          if (i + 1 < record.size() && record[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(record[i]);
        ++i;
      }
      if (i < record.size() && record[i] != ',') {
        return fmt::format("unexpected text after the closing quote of field {}",
                           fields.size() + 1);
      }
    } else {
      std::size_t end = record.find(',', i);
      std::string_view text = record.substr(i, end == std::string_view::npos ? end : end - i);
      if (text.find('"') != std::string_view::npos) {
        return fmt::format("field {} contains a quote but is not quoted", fields.size() + 1);
      }
      field.assign(text);
      i += text.size();
    }

    fields.push_back(std::move(field));
    if (i >= record.size()) {
      return "";
    }
    ++i;  // Past the comma.
  }
}

std::string quote_value(std::string_view value) {
  constexpr std::size_t kMaxShown = 60;
  std::string quoted = "\"";
  for (std::size_t i = 0; i < value.size() && i < kMaxShown; ++i) {
    auto byte = static_cast<unsigned char>(value[i]);
    if (byte < 0x20 || byte == 0x7F || byte == '"' || byte == '\\') {
      quoted += fmt::format("\\x{:02x}", byte);
    } else {
      quoted.push_back(value[i]);
    }
  }
  quoted += value.size() > kMaxShown ? "\"..." : "\"";
  return quoted;
}

std::optional<int> year_from_title(std::string_view title) {
  while (!title.empty() && title.back() == ' ') {
    title.remove_suffix(1);
  }
  if (title.empty() || title.back() != ')') {
    return std::nullopt;
  }
  std::size_t open = title.rfind('(');
  if (open == std::string_view::npos || title.size() - open < 6) {
    return std::nullopt;
  }
  int year = 0;
  const char* first = title.data() + open + 1;
  auto [stop, error] = std::from_chars(first, first + 4, year);
  char after = title[open + 5];
  bool year_ends = after == ')' || after == '-' || after == '\xE2';  // \xE2 starts an en dash.
  if (error != std::errc() || stop != first + 4 || year < 1000 || !year_ends) {
    return std::nullopt;
  }
  return year;
}

}  // namespace recsys
