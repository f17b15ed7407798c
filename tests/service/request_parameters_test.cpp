#include "inference/request_parameters.hpp"

#include <gtest/gtest.h>

#include <string>

#include "inference/api_error.hpp"

namespace recsys::inference {
namespace {

const std::vector<std::string> kGenres = {"Action", "Comedy", "Drama"};

// Returns the status of the ApiError that `call` throws, 0 when it throws none.
template <typename Call>
int status_of(Call&& call) {
  try {
    call();
  } catch (const ApiError& error) {
    return error.status();
  }
  return 0;
}

TEST(ParseId, AcceptsDecimalIntegers) {
  EXPECT_EQ(parse_id("42", "user"), 42);
  EXPECT_EQ(parse_id("-3", "user"), -3);
}

TEST(ParseId, RejectsNonNumbersWith400) {
  for (const char* text : {"abc", "1.5", "1e3", " 1", "1 ", "", "0x10", "+1", "12abc"}) {
    EXPECT_EQ(status_of([&] { parse_id(text, "user"); }), 400) << text;
  }
}

TEST(ParseId, ReportsIdsBeyond64BitsAsNotFound) {
  EXPECT_EQ(status_of([] { parse_id("99999999999999999999999999", "user"); }), 404);
  EXPECT_EQ(status_of([] { parse_id("-99999999999999999999999999", "user"); }), 404);
}

TEST(RecommendationQuery, DefaultsToTenResults) {
  auto query = parse_recommendation_query({}, kGenres, true);
  EXPECT_EQ(query.k, 10);
  EXPECT_FALSE(query.filter.genre);
  EXPECT_FALSE(query.filter.include_rated);
}

TEST(RecommendationQuery, ParsesEveryParameter) {
  QueryParameters parameters = {{"k", "25"},
                                {"genre", "comedy"},
                                {"year_from", "1990"},
                                {"year_to", "1995"},
                                {"include_rated", "true"}};
  auto query = parse_recommendation_query(parameters, kGenres, true);
  EXPECT_EQ(query.k, 25);
  EXPECT_EQ(query.filter.genre, "Comedy");
  EXPECT_EQ(query.filter.year_from, 1990);
  EXPECT_EQ(query.filter.year_to, 1995);
  EXPECT_TRUE(query.filter.include_rated);
}

TEST(RecommendationQuery, RejectsKOutOfRangeWith422) {
  for (const char* k : {"0", "101", "-1", "99999999999999999999"}) {
    EXPECT_EQ(status_of([&] { parse_recommendation_query({{"k", k}}, kGenres, true); }), 422) << k;
  }
}

TEST(RecommendationQuery, RejectsMalformedValuesWith400) {
  EXPECT_EQ(status_of([] { parse_recommendation_query({{"k", "ten"}}, kGenres, true); }), 400);
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"year_from", "90s"}}, kGenres, true);
            }),
            400);
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"include_rated", "yes"}}, kGenres, true);
            }),
            400);
}

TEST(RecommendationQuery, RejectsUnknownAndRepeatedParameters) {
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"genres", "Drama"}}, kGenres, true);
            }),
            400);
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"k", "5"}, {"k", "6"}}, kGenres, true);
            }),
            400);
  // include_rated only exists for known users.
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"include_rated", "true"}}, kGenres, false);
            }),
            400);
}

TEST(RecommendationQuery, RejectsUnknownGenreWith422) {
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"genre", "Western"}}, kGenres, true);
            }),
            422);
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"genre", "Drama' OR '1'='1"}}, kGenres, true);
            }),
            422);
}

TEST(RecommendationQuery, RejectsReversedYearRangeWith422) {
  EXPECT_EQ(
      status_of([] {
        parse_recommendation_query({{"year_from", "2000"}, {"year_to", "1990"}}, kGenres, true);
      }),
      422);
  EXPECT_EQ(status_of([] {
              parse_recommendation_query({{"year_to", "10000"}}, kGenres, true);
            }),
            422);
}

TEST(FoldInRequest, ParsesRatingsAndOptions) {
  auto request = parse_fold_in_request(
      R"({"ratings": [{"movie_id": 50, "rating": 5}, {"movie_id": 7, "rating": 3.5}],
          "k": 5, "genre": "drama", "year_from": 1980})",
      kGenres);
  ASSERT_EQ(request.ratings.size(), 2U);
  EXPECT_EQ(request.ratings[0].first, 50);
  EXPECT_DOUBLE_EQ(request.ratings[0].second, 5.0);
  EXPECT_DOUBLE_EQ(request.ratings[1].second, 3.5);
  EXPECT_EQ(request.query.k, 5);
  EXPECT_EQ(request.query.filter.genre, "Drama");
  EXPECT_EQ(request.query.filter.year_from, 1980);
}

TEST(FoldInRequest, RejectsMalformedBodiesWith400) {
  const char* bodies[] = {
      "",
      "{",
      "[]",
      "null",
      R"({"ratings": {"movie_id": 1}})",
      R"({"ratings": [{"movie_id": "1", "rating": 4}]})",
      R"({"ratings": [{"movie_id": 1.5, "rating": 4}]})",
      R"({"ratings": [{"movie_id": 1}]})",
      R"({"ratings": [{"movie_id": 1, "rating": "4"}]})",
      R"({"ratings": [{"movie_id": 1, "rating": 4, "extra": 1}]})",
      R"({"ratings": [[1, 4]]})",
      R"({"ratings": [{"movie_id": 1, "rating": 4}], "k": "10"})",
      R"({"ratings": [{"movie_id": 1, "rating": 4}], "unknown": true})",
      R"({"movies": []})",
      R"({"ratings": [{"movie_id": 1, "rating": 1e400}]})",
      // Beyond 64 bits JSON numbers are parsed as floating point, not as an id.
      R"({"ratings": [{"movie_id": 99999999999999999999999, "rating": 4}]})",
      "{\"ratings\": [{\"movie_id\": 1, \"rating\": 4}], \"genre\": \"\xff\xfe\"}",
  };
  for (const char* body : bodies) {
    EXPECT_EQ(status_of([&] { parse_fold_in_request(body, kGenres); }), 400) << body;
  }
}

TEST(FoldInRequest, RejectsInvalidValuesWith422) {
  const char* bodies[] = {
      R"({"ratings": []})",
      R"({"ratings": [{"movie_id": 1, "rating": 0}]})",
      R"({"ratings": [{"movie_id": 1, "rating": 5.5}]})",
      R"({"ratings": [{"movie_id": 1, "rating": -3}]})",
      R"({"ratings": [{"movie_id": 1, "rating": 4}, {"movie_id": 1, "rating": 5}]})",
      R"({"ratings": [{"movie_id": -1, "rating": 4}]})",
      R"({"ratings": [{"movie_id": 1, "rating": 4}], "k": 0})",
      R"({"ratings": [{"movie_id": 1, "rating": 4}], "k": 1000})",
      R"({"ratings": [{"movie_id": 1, "rating": 4}], "genre": "Western"})",
  };
  for (const char* body : bodies) {
    EXPECT_EQ(status_of([&] { parse_fold_in_request(body, kGenres); }), 422) << body;
  }
}

}  // namespace
}  // namespace recsys::inference
