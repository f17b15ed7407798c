// MovieLens 1M (GroupLens, 2003): ratings.dat, movies.dat and users.dat with "::" separators,
// no header lines, titles in Latin-1 and whole-star ratings 1-5.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "data/fields.hpp"
#include "data/invalid_lines.hpp"
#include "data/release.hpp"

namespace recsys {

namespace {

constexpr std::string_view kSeparator = "::";
constexpr std::size_t kMoviesDatFields = 3;
constexpr std::size_t kUsersDatFields = 5;

// The genres and occupation codes listed in the ML-1M README.
const std::vector<std::string> kGenres = {
    "Action",      "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama",     "Fantasy",   "Film-Noir",  "Horror", "Musical",
    "Mystery",     "Romance",   "Sci-Fi",    "Thriller",   "War",    "Western"};
constexpr std::array<std::string_view, 21> kOccupations = {"other or not specified",
                                                           "academic/educator",
                                                           "artist",
                                                           "clerical/admin",
                                                           "college/grad student",
                                                           "customer service",
                                                           "doctor/health care",
                                                           "executive/managerial",
                                                           "farmer",
                                                           "homemaker",
                                                           "K-12 student",
                                                           "lawyer",
                                                           "programmer",
                                                           "retired",
                                                           "sales/marketing",
                                                           "scientist",
                                                           "self-employed",
                                                           "technician/engineer",
                                                           "tradesman/craftsman",
                                                           "unemployed",
                                                           "writer"};
// Age is a range code: 1 (under 18), 18, 25, 35, 45, 50 and 56 (56 and over).
constexpr std::array<std::int64_t, 7> kAgeCodes = {1, 18, 25, 35, 45, 50, 56};

// Parses one movies.dat line (already UTF-8); returns the problem or "".
std::string parse_movie(const std::vector<std::string_view>& fields, Movie& movie) {
  if (!parse_id(fields[0], movie.id)) {
    return fmt::format("invalid movie id {}: expected a whole number of at least 1",
                       quote_value(fields[0]));
  }
  movie.title = std::string(fields[1]);
  if (contains_control_character(movie.title)) {
    return fmt::format("the title {} contains control characters", quote_value(movie.title));
  }
  movie.year = year_from_title(movie.title);

  std::vector<std::string_view> names;
  split_fields(fields[2], "|", names);
  for (std::string_view name : names) {
    if (std::find(kGenres.begin(), kGenres.end(), name) == kGenres.end()) {
      return fmt::format("unknown genre {}: ML-1M genres are {}", quote_value(name),
                         fmt::join(kGenres, ", "));
    }
    movie.genres.emplace_back(name);
  }
  return "";
}

std::vector<Movie> read_movies_dat(LoadContext& context, IdSet& movie_ids) {
  LineReader reader(context.source, "movies.dat");
  InvalidLines invalid(reader, context.invalid_lines, false);
  std::vector<Movie> movies;
  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    std::string text = latin1_to_utf8(line.text);
    split_fields(text, kSeparator, fields);
    if (fields.size() != kMoviesDatFields) {
      invalid.report_field_count(line, fields.size(), kMoviesDatFields);
      continue;
    }

    Movie movie;
    std::string problem = parse_movie(fields, movie);
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

// Parses one users.dat line ("id::gender::age::occupation::zip"); returns the problem or "".
std::string parse_user(const std::vector<std::string_view>& fields, User& user) {
  std::int64_t age = 0;
  std::int64_t occupation = 0;
  if (!parse_id(fields[0], user.id)) {
    return fmt::format("invalid user id {}: expected a whole number of at least 1",
                       quote_value(fields[0]));
  }
  if (fields[1] != "M" && fields[1] != "F") {
    return fmt::format("invalid gender {}: expected M or F", quote_value(fields[1]));
  }
  if (!parse_integer(fields[2], age) ||
      std::find(kAgeCodes.begin(), kAgeCodes.end(), age) == kAgeCodes.end()) {
    return fmt::format("invalid age code {}: expected one of 1, 18, 25, 35, 45, 50, 56",
                       quote_value(fields[2]));
  }
  if (!parse_integer(fields[3], occupation) || occupation < 0 ||
      occupation >= static_cast<std::int64_t>(kOccupations.size())) {
    return fmt::format("invalid occupation code {}: expected 0 to {}", quote_value(fields[3]),
                       kOccupations.size() - 1);
  }
  user.gender = std::string(fields[1]);
  user.age = static_cast<int>(age);  // The lower bound of the age range.
  user.occupation = std::string(kOccupations[static_cast<std::size_t>(occupation)]);
  user.zip_code = std::string(fields[4]);
  return "";
}

std::vector<User> read_users(LoadContext& context, IdSet& user_ids) {
  LineReader reader(context.source, "users.dat");
  InvalidLines invalid(reader, context.invalid_lines, false);
  std::vector<User> users;
  Line line;
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    split_fields(line.text, kSeparator, fields);
    if (fields.size() != kUsersDatFields) {
      invalid.report_field_count(line, fields.size(), kUsersDatFields);
      continue;
    }

    User user;
    std::string problem = parse_user(fields, user);
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

Dataset load_ml1m(LoadContext& context) {
  Dataset dataset;
  dataset.name = "ml-1m";
  dataset.scale = RatingScale{1.0F, 5.0F, 1.0F};
  dataset.genres = kGenres;

  IdSet movie_ids;
  IdSet user_ids;
  dataset.movies = read_movies_dat(context, movie_ids);
  dataset.users = read_users(context, user_ids);

  RatingRules rules{dataset.name, dataset.scale, &movie_ids, "movies.dat", &user_ids, "users.dat"};
  dataset.ratings = read_ratings_file(context, "ratings.dat", {kSeparator, ""}, rules);
  return dataset;
}

}  // namespace recsys
