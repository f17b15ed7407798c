#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recsys {

// Splits `text` at every occurrence of `separator` into `fields`, which is cleared first.
void split_fields(std::string_view text, std::string_view separator,
                  std::vector<std::string_view>& fields);

// Parses a MovieLens id: a whole number of at least 1, with nothing around it.
bool parse_id(std::string_view field, std::int64_t& id);

// Parses a whole number (such as a Unix timestamp), with nothing around it.
bool parse_integer(std::string_view field, std::int64_t& value);

// Parses a finite decimal number such as "4" or "3.5", with nothing around it.
bool parse_rating(std::string_view field, float& rating);

// Converts ISO-8859-1 (Latin-1) text, as in u.item and movies.dat, to UTF-8.
std::string latin1_to_utf8(std::string_view text);

// Returns the offset of the first byte that does not start a valid UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are invalid), or npos for valid text.
std::size_t find_invalid_utf8(std::string_view text);

// Returns whether `text` contains an ASCII control character other than tab.
bool contains_control_character(std::string_view text);

// Whether an RFC 4180 record that starts with `text` continues on the next line, because a
// quoted field is still open at the end of `text`.
bool csv_record_continues(std::string_view text);

// Splits an RFC 4180 record: fields are separated by commas and may be quoted with '"', a
// quote inside a quoted field is doubled. Returns an empty string on success, else what is
// wrong with the record.
std::string split_csv_record(std::string_view record, std::vector<std::string>& fields);

// Formats a field for a message: quoted, cut after 60 bytes, control bytes as \xNN.
std::string quote_value(std::string_view value);

// Returns the year in a title ending with "(1995)" (or a range such as "(2006-2007)", whose
// first year is returned), if any.
std::optional<int> year_from_title(std::string_view title);

}  // namespace recsys
