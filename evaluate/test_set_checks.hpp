#pragma once

#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "evaluate/evaluation.hpp"

namespace recsys {

// Throws recsys::Error before fitting when the ranking metrics of `split` could not be computed:
// the relevance threshold is not a finite number, the test set is empty, or no test rating
// reaches the threshold.
void check_test_set(const std::string& split, const std::vector<Rating>& test,
                    float relevance_threshold);

// Throws recsys::Error when `result` ranked no user, because every test user or movie lacks
// training ratings.
void require_ranked_users(const std::string& split, const EvaluationResult& result);

}  // namespace recsys
