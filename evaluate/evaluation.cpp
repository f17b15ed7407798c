#include "evaluate/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "core/error.hpp"

namespace recsys {
namespace {

// Per-user ranking outcome; summed in user order afterwards so results do not depend on the
// number of threads.
struct UserRanking {
  bool evaluated = false;
  double precision = 0.0;
  double recall = 0.0;
  double ndcg = 0.0;
  double average_precision = 0.0;
  double hit = 0.0;
  std::vector<int> top_movies;  // Movie rows of the top K.
};

struct UserTestSet {
  std::vector<int> relevant_movies;  // Movie rows with a test rating >= the threshold.
};

std::unordered_map<std::int64_t, int> index_ids(const std::vector<std::int64_t>& ids) {
  std::unordered_map<std::int64_t, int> rows;
  rows.reserve(ids.size());
  for (std::size_t row = 0; row < ids.size(); ++row) {
    rows.emplace(ids[row], static_cast<int>(row));
  }
  return rows;
}

// Ranks every movie the user did not rate in training by score, best first, ties broken by
// the lower movie id, and scores the top K against the relevant test movies.
UserRanking rank_user(const Embeddings& embeddings, int user_row,
                      const std::vector<int>& rated_in_training, const UserTestSet& test, int k) {
  UserRanking ranking;
  const Eigen::VectorXf scores = embeddings.movies * embeddings.users.row(user_row).transpose();

  std::vector<int> candidates;
  candidates.reserve(static_cast<std::size_t>(scores.size()));
  std::size_t next_rated = 0;
  for (int movie = 0; movie < static_cast<int>(scores.size()); ++movie) {
    if (next_rated < rated_in_training.size() && rated_in_training[next_rated] == movie) {
      ++next_rated;
      continue;
    }
    candidates.push_back(movie);
  }

  const auto better = [&](int a, int b) {
    if (scores[a] != scores[b]) {
      return scores[a] > scores[b];
    }
    return embeddings.movie_ids[a] < embeddings.movie_ids[b];
  };
  const auto cutoff = std::min<std::size_t>(static_cast<std::size_t>(k), candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<long>(cutoff),
                    candidates.end(), better);
  ranking.top_movies.assign(candidates.begin(), candidates.begin() + static_cast<long>(cutoff));

  const auto& relevant = test.relevant_movies;
  const auto ideal_hits = std::min<std::size_t>(static_cast<std::size_t>(k), relevant.size());
  double dcg = 0.0;
  double ideal_dcg = 0.0;
  double precision_sum = 0.0;
  int hits = 0;
  for (std::size_t position = 0; position < ranking.top_movies.size(); ++position) {
    const bool is_relevant =
        std::binary_search(relevant.begin(), relevant.end(), ranking.top_movies[position]);
    if (is_relevant) {
      ++hits;
      dcg += 1.0 / std::log2(static_cast<double>(position) + 2.0);
      precision_sum += static_cast<double>(hits) / static_cast<double>(position + 1);
    }
  }
  for (std::size_t position = 0; position < ideal_hits; ++position) {
    ideal_dcg += 1.0 / std::log2(static_cast<double>(position) + 2.0);
  }

  ranking.evaluated = true;
  ranking.precision = hits / static_cast<double>(k);
  ranking.recall = hits / static_cast<double>(ideal_hits);
  ranking.ndcg = dcg / ideal_dcg;
  ranking.average_precision = precision_sum / static_cast<double>(ideal_hits);
  ranking.hit = hits > 0 ? 1.0 : 0.0;
  return ranking;
}

}  // namespace

nlohmann::json EvaluationResult::to_json() const {
  return {{"k", k},
          {"metrics", metrics},
          {"users_evaluated", users_evaluated},
          {"users_without_relevant", users_without_relevant},
          {"users_unknown", users_unknown},
          {"test_ratings", test_ratings},
          {"test_ratings_skipped", test_ratings_skipped}};
}

EvaluationResult evaluate(const Embeddings& embeddings, const std::vector<Rating>& train,
                          const std::vector<Rating>& test, const EvaluationOptions& options) {
  if (options.k < 1) {
    throw Error("invalid k " + std::to_string(options.k) + ": use a cut-off of at least 1");
  }
  const auto user_rows = index_ids(embeddings.user_ids);
  const auto movie_rows = index_ids(embeddings.movie_ids);
  const auto user_count = embeddings.user_ids.size();

  std::vector<std::vector<int>> rated_in_training(user_count);
  for (const Rating& rating : train) {
    const auto user = user_rows.find(rating.user_id);
    const auto movie = movie_rows.find(rating.movie_id);
    if (user != user_rows.end() && movie != movie_rows.end()) {
      rated_in_training[static_cast<std::size_t>(user->second)].push_back(movie->second);
    }
  }
  for (auto& movies : rated_in_training) {
    std::sort(movies.begin(), movies.end());
    movies.erase(std::unique(movies.begin(), movies.end()), movies.end());
  }

  EvaluationResult result;
  result.k = options.k;
  result.test_ratings = static_cast<long>(test.size());

  // Rating metrics over every test rating whose user and movie have embeddings. A user without
  // training ratings counts as unknown: the fit never updated the embedding of such a user.
  std::vector<UserTestSet> test_sets(user_count);
  std::vector<bool> in_test(user_count, false);
  std::unordered_map<std::int64_t, bool> unknown_users;
  double squared_error = 0.0;
  double absolute_error = 0.0;
  long predicted = 0;
  for (const Rating& rating : test) {
    auto user = user_rows.find(rating.user_id);
    if (user != user_rows.end() &&
        rated_in_training[static_cast<std::size_t>(user->second)].empty()) {
      user = user_rows.end();
    }
    const auto movie = movie_rows.find(rating.movie_id);
    if (user == user_rows.end() || movie == movie_rows.end()) {
      ++result.test_ratings_skipped;
      if (user == user_rows.end()) {
        unknown_users.emplace(rating.user_id, true);
      }
      continue;
    }
    const auto user_row = static_cast<std::size_t>(user->second);
    in_test[user_row] = true;
    const double prediction =
        embeddings.users.row(user->second).dot(embeddings.movies.row(movie->second));
    const double error = prediction - rating.rating;
    squared_error += error * error;
    absolute_error += std::abs(error);
    ++predicted;

    const auto& rated = rated_in_training[user_row];
    if (rating.rating >= options.relevance_threshold &&
        !std::binary_search(rated.begin(), rated.end(), movie->second)) {
      test_sets[user_row].relevant_movies.push_back(movie->second);
    }
  }
  result.users_unknown = static_cast<long>(unknown_users.size());
  if (options.rating_metrics && predicted > 0) {
    result.metrics["rmse"] = std::sqrt(squared_error / static_cast<double>(predicted));
    result.metrics["mae"] = absolute_error / static_cast<double>(predicted);
  }

  std::vector<int> ranked_users;
  for (std::size_t user = 0; user < user_count; ++user) {
    auto& relevant = test_sets[user].relevant_movies;
    std::sort(relevant.begin(), relevant.end());
    relevant.erase(std::unique(relevant.begin(), relevant.end()), relevant.end());
    if (!in_test[user]) {
      continue;
    }
    if (relevant.empty()) {
      ++result.users_without_relevant;
    } else {
      ranked_users.push_back(static_cast<int>(user));
    }
  }

  // Rank users in parallel; each thread takes every n-th user.
  std::vector<UserRanking> rankings(ranked_users.size());
  const unsigned thread_count =
      std::max(1U, std::min(std::thread::hardware_concurrency(),
                            static_cast<unsigned>(ranked_users.size() / 64 + 1)));
  std::vector<std::thread> threads;
  for (unsigned thread = 0; thread < thread_count; ++thread) {
    threads.emplace_back([&, thread] {
      for (std::size_t i = thread; i < ranked_users.size(); i += thread_count) {
        const auto user = static_cast<std::size_t>(ranked_users[i]);
        rankings[i] = rank_user(embeddings, ranked_users[i], rated_in_training[user],
                                test_sets[user], options.k);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  double precision = 0.0;
  double recall = 0.0;
  double ndcg = 0.0;
  double map = 0.0;
  double hit_rate = 0.0;
  std::vector<bool> recommended(embeddings.movie_ids.size(), false);
  for (const UserRanking& ranking : rankings) {
    precision += ranking.precision;
    recall += ranking.recall;
    ndcg += ranking.ndcg;
    map += ranking.average_precision;
    hit_rate += ranking.hit;
    for (int movie : ranking.top_movies) {
      recommended[static_cast<std::size_t>(movie)] = true;
    }
  }
  result.users_evaluated = static_cast<long>(rankings.size());
  const std::string suffix = "_at_" + std::to_string(options.k);
  const double users = std::max<double>(1.0, static_cast<double>(rankings.size()));
  if (!rankings.empty()) {
    result.metrics["precision" + suffix] = precision / users;
    result.metrics["recall" + suffix] = recall / users;
    result.metrics["ndcg" + suffix] = ndcg / users;
    result.metrics["map" + suffix] = map / users;
    result.metrics["hit_rate" + suffix] = hit_rate / users;
    const auto covered = std::count(recommended.begin(), recommended.end(), true);
    result.metrics["coverage" + suffix] =
        embeddings.movie_ids.empty()
            ? 0.0
            : static_cast<double>(covered) / static_cast<double>(embeddings.movie_ids.size());
  }
  return result;
}

FoldSummary summarize_folds(const std::vector<EvaluationResult>& results) {
  FoldSummary summary;
  summary.folds = static_cast<int>(results.size());
  std::map<std::string, std::vector<double>> values;
  for (const auto& result : results) {
    for (const auto& [name, value] : result.metrics) {
      values[name].push_back(value);
    }
  }
  for (const auto& [name, samples] : values) {
    const double count = static_cast<double>(samples.size());
    const double mean = std::accumulate(samples.begin(), samples.end(), 0.0) / count;
    double squares = 0.0;
    for (double sample : samples) {
      squares += (sample - mean) * (sample - mean);
    }
    summary.mean[name] = mean;
    summary.standard_deviation[name] =
        samples.size() > 1 ? std::sqrt(squares / (count - 1.0)) : 0.0;
  }
  return summary;
}

}  // namespace recsys
