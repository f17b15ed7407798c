#include "evaluate/test_set_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace recsys {

void check_test_set(const std::string& split, const std::vector<Rating>& test,
                    float relevance_threshold) {
  if (!std::isfinite(relevance_threshold)) {
    throw Error(
        fmt::format("invalid relevance threshold {}: use a rating on the data's scale, "
                    "such as --relevance-threshold 4",
                    relevance_threshold));
  }
  if (test.empty()) {
    throw Error(
        fmt::format("the test set of split {} is empty, so nothing can be evaluated: "
                    "choose a split that holds out ratings",
                    split));
  }

  const auto highest =
      std::max_element(test.begin(), test.end(),
                       [](const Rating& a, const Rating& b) { return a.rating < b.rating; });
  if (highest->rating < relevance_threshold) {
    throw Error(
        fmt::format("no test rating of split {} reaches the relevance threshold {} (the "
                    "highest is {}): lower --relevance-threshold",
                    split, relevance_threshold, highest->rating));
  }
}

void require_ranked_users(const std::string& split, const EvaluationResult& result) {
  if (result.users_evaluated > 0) {
    return;
  }
  throw Error(fmt::format(
      "no test user of split {} could be ranked: {} of {} test ratings "
      "belong to a user or movie without training ratings, and {} users "
      "have no relevant test rating; choose a split whose test users also "
      "have training ratings",
      split, result.test_ratings_skipped, result.test_ratings, result.users_without_relevant));
}

}  // namespace recsys
