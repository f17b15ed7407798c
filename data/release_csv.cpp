// The CSV releases (ml-latest-small, ml-latest, ML-20M, ML-25M, ML-32M): ratings.csv,
// movies.csv and the optional links.csv, UTF-8 with RFC 4180 quoting, a header line in every
// file and half-star ratings 0.5-5.
#include <fmt/format.h>

#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "data/fields.hpp"
#include "data/invalid_lines.hpp"
#include "data/release.hpp"

namespace recsys {

namespace {

constexpr std::string_view kMoviesHeader = "movieId,title,genres";
constexpr std::string_view kLinksHeader = "movieId,imdbId,tmdbId";
constexpr std::string_view kRatingsHeader = "userId,movieId,rating,timestamp";
constexpr std::string_view kNoGenres = "(no genres listed)";
constexpr std::size_t kMovieFields = 3;
constexpr std::size_t kLinkFields = 3;

// Reads the next RFC 4180 record, joining lines while a quoted field is open. Returns false at
// the end of the file; `first` is the record's first line.
bool next_record(LineReader& reader, std::string& record, Line& first) {
  Line line;
  if (!reader.next(line)) {
    return false;
  }
  first = line;
  record.assign(line.text);
  while (csv_record_continues(record) && reader.next(line)) {
    record.push_back('\n');
    record.append(line.text);
    first.terminated = line.terminated;
  }
  return true;
}

// Checks a record's encoding; returns the problem or "".
std::string check_text(std::string_view record) {
  std::size_t invalid = find_invalid_utf8(record);
  if (invalid != std::string_view::npos) {
    return fmt::format(
        "invalid UTF-8 at byte {} ({}); the CSV releases are UTF-8, so the file "
        "was damaged or re-encoded",
        invalid + 1, quote_value(record.substr(invalid, 4)));
  }
  return "";
}

// Parses one movies.csv record into `movie`; returns the problem or "".
std::string parse_movie(const std::vector<std::string>& fields, Movie& movie) {
  if (!parse_id(fields[0], movie.id)) {
    return fmt::format("invalid movie id {}: expected a whole number of at least 1",
                       quote_value(fields[0]));
  }
  movie.title = fields[1];
  if (contains_control_character(movie.title)) {
    return fmt::format("the title {} contains control characters", quote_value(movie.title));
  }
  movie.year = year_from_title(movie.title);
  if (fields[2] != kNoGenres) {
    std::vector<std::string_view> names;
    split_fields(fields[2], "|", names);
    for (std::string_view name : names) {
      if (name.empty()) {
        return fmt::format("empty genre name in {}", quote_value(fields[2]));
      }
      movie.genres.emplace_back(name);
    }
  }
  return "";
}

std::vector<Movie> read_movies(LoadContext& context, IdSet& movie_ids) {
  LineReader reader(context.source, "movies.csv");
  InvalidLines invalid(reader, context.invalid_lines, true);
  expect_header(reader, kMoviesHeader);

  std::vector<Movie> movies;
  std::string record;
  Line line;
  std::vector<std::string> fields;
  while (next_record(reader, record, line)) {
    std::string problem = check_text(record);
    if (!problem.empty()) {
      throw InputError(reader.file(), line.number, problem);  // The whole file is suspect.
    }
    problem = split_csv_record(record, fields);
    if (problem.empty() && fields.size() != kMovieFields) {
      invalid.report_field_count(line, fields.size(), kMovieFields);
      continue;
    }

    Movie movie;
    if (problem.empty()) {
      problem = parse_movie(fields, movie);
    }
    if (problem.empty() && !movie_ids.insert(movie.id)) {
      problem = fmt::format("movie id {} appears twice", movie.id);
    }
    if (!problem.empty()) {
      if (!line.terminated) {
        throw InputError(reader.file(), line.number,
                         problem +
                             "; the last line has no newline, so the file is truncated: "
                             "download the release again");
      }
      invalid.report(line, problem);
      continue;
    }
    movies.push_back(std::move(movie));
  }
  invalid.log_summary();
  context.file_sha256[reader.name()] = reader.sha256();
  if (movies.empty()) {
    throw InputError(reader.file(), 0,
                     "the file contains no valid movies; download the "
                     "release again");
  }
  return movies;
}

// Reads links.csv into the movies' IMDb URLs.
void read_links(LoadContext& context, std::vector<Movie>& movies) {
  std::unordered_map<std::int64_t, std::size_t> position;
  for (std::size_t i = 0; i < movies.size(); ++i) {
    position.emplace(movies[i].id, i);
  }

  LineReader reader(context.source, "links.csv");
  InvalidLines invalid(reader, context.invalid_lines, true);
  expect_header(reader, kLinksHeader);
  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    split_fields(line.text, ",", fields);
    if (fields.size() != kLinkFields) {
      invalid.report_field_count(line, fields.size(), kLinkFields);
      continue;
    }
    std::int64_t movie_id = 0;
    std::int64_t imdb_id = 0;
    if (!parse_id(fields[0], movie_id)) {
      invalid.report(line, fmt::format("invalid movie id {}: expected a whole number of at "
                                       "least 1",
                                       quote_value(fields[0])));
      continue;
    }
    auto movie = position.find(movie_id);
    if (movie == position.end()) {
      invalid.report(line, fmt::format("movie id {} is not in movies.csv", movie_id));
      continue;
    }
    if (fields[1].empty()) {
      continue;  // A movie without an IMDb entry.
    }
    if (!parse_id(fields[1], imdb_id)) {
      invalid.report(line, fmt::format("invalid imdbId {}: expected the digits of an IMDb title "
                                       "id such as 0114709",
                                       quote_value(fields[1])));
      continue;
    }
    movies[movie->second].imdb_url = fmt::format("https://www.imdb.com/title/tt{:07d}/", imdb_id);
  }
  invalid.log_summary();
  context.file_sha256[reader.name()] = reader.sha256();
}

// Lists every genre named by a movie, sorted, since the CSV releases have no genre file.
std::vector<std::string> collect_genres(const std::vector<Movie>& movies) {
  std::set<std::string> names;
  for (const Movie& movie : movies) {
    names.insert(movie.genres.begin(), movie.genres.end());
  }
  return {names.begin(), names.end()};
}

}  // namespace

Dataset load_movielens_csv(LoadContext& context) {
  Dataset dataset;
  dataset.name = context.release;
  dataset.scale = RatingScale{0.5F, 5.0F, 0.5F};

  IdSet movie_ids;
  dataset.movies = read_movies(context, movie_ids);
  if (context.source.contains("links.csv")) {
    read_links(context, dataset.movies);
  }
  dataset.genres = collect_genres(dataset.movies);

  RatingRules rules{dataset.name, dataset.scale, &movie_ids, "movies.csv", nullptr, ""};
  dataset.ratings = read_ratings_file(context, "ratings.csv", {",", kRatingsHeader}, rules);
  return dataset;
}

}  // namespace recsys
