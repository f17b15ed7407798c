// MovieLens 100K (GroupLens, 1998): u.data, u.item, u.user, u.genre and u.occupation, with
// '|' or tab separators, no header lines, titles in Latin-1 and whole-star ratings 1-5.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

#include "core/error.hpp"
#include "data/fields.hpp"
#include "data/invalid_lines.hpp"
#include "data/release.hpp"

namespace recsys {

namespace {

// u.item: id, title, release date, video release date, IMDb URL, then one flag per genre.
constexpr std::size_t kItemFieldsBeforeGenres = 5;
constexpr std::size_t kUserFields = 5;

// Reads u.genre ("name|index" lines, indexes 0, 1, 2, ... in order).
std::vector<std::string> read_genres(LoadContext& context) {
  LineReader reader(context.source, "u.genre");
  std::vector<std::string> genres;
  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    split_fields(line.text, "|", fields);
    std::int64_t index = -1;
    if (fields.size() != 2 || !parse_integer(fields[1], index) ||
        index != static_cast<std::int64_t>(genres.size())) {
      throw InputError(reader.file(), line.number,
                       fmt::format("expected \"name|{}\", found {}; u.genre lists the genres in "
                                   "the order of the flags in u.item, restore the original file",
                                   genres.size(), quote_value(line.text)));
    }
    genres.emplace_back(fields[0]);
  }
  context.file_sha256[reader.name()] = reader.sha256();
  return genres;
}

// Reads u.occupation (one name per line).
std::unordered_set<std::string> read_occupations(LoadContext& context) {
  LineReader reader(context.source, "u.occupation");
  std::unordered_set<std::string> occupations;
  Line line;
  while (reader.next(line)) {
    occupations.emplace(line.text);
  }
  context.file_sha256[reader.name()] = reader.sha256();
  return occupations;
}

// Parses a u.item release date such as "01-Jan-1995" (movie 1373 has "4-Feb-1971") and
// returns its year.
std::optional<int> year_from_release_date(std::string_view date) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::vector<std::string_view> parts;
  split_fields(date, "-", parts);
  std::int64_t day = 0;
  std::int64_t year = 0;
  if (parts.size() != 3 || parts[0].size() > 2 || parts[2].size() != 4 ||
      !parse_integer(parts[0], day) || !parse_integer(parts[2], year) || day < 1 || day > 31 ||
      year < 1000) {
    return std::nullopt;
  }
  if (std::find(kMonths.begin(), kMonths.end(), parts[1]) == kMonths.end()) {
    return std::nullopt;
  }
  return static_cast<int>(year);
}

// Parses one u.item line (already converted to UTF-8) into `movie`; returns the problem or "".
std::string parse_movie(const std::vector<std::string_view>& fields,
                        const std::vector<std::string>& genres, Movie& movie) {
  if (!parse_id(fields[0], movie.id)) {
    return fmt::format("invalid movie id {}: expected a whole number of at least 1",
                       quote_value(fields[0]));
  }
  movie.title = std::string(fields[1]);
  if (contains_control_character(movie.title)) {
    return fmt::format("the title {} contains control characters", quote_value(movie.title));
  }

  // The film's year is the one in its title. u.item's release date is often a later video
  // release (Return of the Jedi (1983) has 14-Mar-1997), so it serves only when the title
  // has no year.
  std::optional<int> release_year;
  if (!fields[2].empty()) {
    release_year = year_from_release_date(fields[2]);
    if (!release_year) {
      return fmt::format("invalid release date {}: expected a date such as \"01-Jan-1995\"",
                         quote_value(fields[2]));
    }
  }
  movie.year = year_from_title(movie.title);
  if (!movie.year) {
    movie.year = release_year;
  }
  movie.imdb_url = std::string(fields[4]);

  for (std::size_t g = 0; g < genres.size(); ++g) {
    std::string_view flag = fields[kItemFieldsBeforeGenres + g];
    if (flag != "0" && flag != "1") {
      return fmt::format("invalid flag {} for genre {}: expected 0 or 1", quote_value(flag),
                         genres[g]);
    }
    if (flag == "1") {
      movie.genres.push_back(genres[g]);
    }
  }
  return "";
}

// Reads u.item, whose titles are Latin-1.
std::vector<Movie> read_movies(LoadContext& context, const std::vector<std::string>& genres,
                               IdSet& movie_ids) {
  LineReader reader(context.source, "u.item");
  InvalidLines invalid(reader, context.invalid_lines, false);
  std::vector<Movie> movies;
  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    std::string text = latin1_to_utf8(line.text);
    split_fields(text, "|", fields);
    if (fields.size() != kItemFieldsBeforeGenres + genres.size()) {
      invalid.report_field_count(line, fields.size(), kItemFieldsBeforeGenres + genres.size());
      continue;
    }

    Movie movie;
    std::string problem = parse_movie(fields, genres, movie);
    if (problem.empty() && !movie_ids.insert(movie.id)) {
      problem = fmt::format("movie id {} appears twice", movie.id);
    }
    if (!problem.empty()) {
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

// Parses one u.user line into `user`; returns the problem or "".
std::string parse_user(const std::vector<std::string_view>& fields,
                       const std::unordered_set<std::string>& occupations, User& user) {
  std::int64_t age = 0;
  if (!parse_id(fields[0], user.id)) {
    return fmt::format("invalid user id {}: expected a whole number of at least 1",
                       quote_value(fields[0]));
  }
  if (!parse_integer(fields[1], age) || age < 0 || age > 150) {
    return fmt::format("invalid age {}: expected years from 0 to 150", quote_value(fields[1]));
  }
  if (fields[2] != "M" && fields[2] != "F") {
    return fmt::format("invalid gender {}: expected M or F", quote_value(fields[2]));
  }
  if (!occupations.contains(std::string(fields[3]))) {
    return fmt::format("occupation {} is not in u.occupation", quote_value(fields[3]));
  }
  user.age = static_cast<int>(age);
  user.gender = std::string(fields[2]);
  user.occupation = std::string(fields[3]);
  user.zip_code = std::string(fields[4]);  // Not always digits: Canadian codes such as "T8H1N".
  return "";
}

// Reads u.user.
std::vector<User> read_users(LoadContext& context,
                             const std::unordered_set<std::string>& occupations, IdSet& user_ids) {
  LineReader reader(context.source, "u.user");
  InvalidLines invalid(reader, context.invalid_lines, false);
  std::vector<User> users;
  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    split_fields(line.text, "|", fields);
    if (fields.size() != kUserFields) {
      invalid.report_field_count(line, fields.size(), kUserFields);
      continue;
    }

    User user;
    std::string problem = parse_user(fields, occupations, user);
    if (problem.empty() && !user_ids.insert(user.id)) {
      problem = fmt::format("user id {} appears twice", user.id);
    }
    if (!problem.empty()) {
      invalid.report(line, problem);
      continue;
    }
    users.push_back(std::move(user));
  }
  invalid.log_summary();
  context.file_sha256[reader.name()] = reader.sha256();
  if (users.empty()) {
    throw InputError(reader.file(), 0,
                     "the file contains no valid users; download the "
                     "release again");
  }
  return users;
}

}  // namespace

Dataset load_ml100k(LoadContext& context) {
  Dataset dataset;
  dataset.name = "ml-100k";
  dataset.scale = RatingScale{1.0F, 5.0F, 1.0F};
  dataset.genres = read_genres(context);

  IdSet movie_ids;
  IdSet user_ids;
  dataset.movies = read_movies(context, dataset.genres, movie_ids);
  dataset.users = read_users(context, read_occupations(context), user_ids);

  RatingRules rules{dataset.name, dataset.scale, &movie_ids, "u.item", &user_ids, "u.user"};
  dataset.ratings = read_ratings_file(context, "u.data", {"\t", ""}, rules);
  return dataset;
}

}  // namespace recsys
