#pragma once

#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "evaluate/evaluation.hpp"

namespace recsys {

// Throws recsys::Error when the ranking metrics of `split` cannot be computed, before any fit:
// the relevance threshold is not a finite number, the test set is empty, or no test rating
// reaches the threshold.
void check_test_set(const std::string& split, const std::vector<Rating>& test,
                    float relevance_threshold);

// Throws recsys::Error when `result` ranked no user, because every test user or movie lacks
// training ratings.
void require_ranked_users(const std::string& split, const EvaluationResult& result);

}  // namespace recsys
