#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "data/fields.hpp"
#include "data/invalid_lines.hpp"
#include "data/release.hpp"

namespace recsys {

namespace {

constexpr std::size_t kRatingFields = 4;

// Bytes per line in MovieLens ratings files are about 20 to 30; reserving avoids regrowth.
constexpr std::uint64_t kBytesPerRatingEstimate = 24;

}  // namespace

void finish_file(LoadContext& context, LineReader& reader) {
  Line line;
  while (reader.next(line)) {
  }
  context.file_sha256[reader.name()] = reader.sha256();
}

void expect_header(LineReader& reader, std::string_view header) {
  Line line;
  if (!reader.next(line)) {
    throw InputError(reader.file(), 0, "the file is empty; download the release again");
  }
  if (line.text != header) {
    throw InputError(reader.file(), line.number,
                     fmt::format("expected the header {}, found {}; the file is not a MovieLens "
                                 "CSV file, or its header was removed",
                                 quote_value(header), quote_value(line.text)));
  }
}

std::vector<Rating> read_ratings_file(LoadContext& context, const std::string& name,
                                      const RatingsFileFormat& format, const RatingRules& rules) {
  LineReader reader(context.source, name);
  InvalidLines invalid(reader, context.invalid_lines, !format.header.empty());
  RatingsBuilder builder(rules, invalid);
  builder.reserve(context.source.file_size(name) / kBytesPerRatingEstimate);
  if (!format.header.empty()) {
    expect_header(reader, format.header);
  }

  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    split_fields(line.text, format.separator, fields);
    if (fields.size() != kRatingFields) {
      invalid.report_field_count(line, fields.size(), kRatingFields);
      continue;
    }

    Rating rating;
    if (!parse_id(fields[0], rating.user_id)) {
      invalid.report(line, fmt::format("invalid user id {}: expected a whole number of at "
                                       "least 1",
                                       quote_value(fields[0])));
      continue;
    }
    if (!parse_id(fields[1], rating.movie_id)) {
      invalid.report(line, fmt::format("invalid movie id {}: expected a whole number of "
                                       "at least 1",
                                       quote_value(fields[1])));
      continue;
    }
    if (!parse_rating(fields[2], rating.rating)) {
      invalid.report(line,
                     fmt::format("invalid rating {}: expected a number", quote_value(fields[2])));
      continue;
    }
    if (!parse_integer(fields[3], rating.timestamp)) {
      invalid.report(line, fmt::format("invalid timestamp {}: expected whole seconds "
                                       "since 1970-01-01 UTC",
                                       quote_value(fields[3])));
      continue;
    }
    builder.add(line.number, rating, fields[2]);
  }

  std::vector<Rating> ratings = builder.finish();
  invalid.log_summary();
  context.file_sha256[name] = reader.sha256();
  if (ratings.empty()) {
    throw InputError(reader.file(), 0,
                     "the file contains no valid ratings; download the "
                     "release again");
  }
  spdlog::debug("{}: read {} ratings", reader.file(), ratings.size());
  return ratings;
}

RatingRules rating_rules_for(const Dataset& dataset, const IdSet& movies, const IdSet* users) {
  RatingRules rules;
  rules.release = dataset.name;
  rules.scale = dataset.scale;
  rules.movies = &movies;
  rules.movie_file = "the movie file";
  rules.users = users;
  rules.user_file = "the user file";
  return rules;
}

}  // namespace recsys
