#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.hpp"

namespace recsys::testing {

// A small catalog with structure: 150 users in three taste groups, each group rating mostly
// the 40 movies of its own two genres highly. A model trained on it recommends a user's group's
// movies, which is what the fold-in and filter tests check.
Dataset make_synthetic_dataset();

// The group (0, 1, 2) of a synthetic user or movie id.
int synthetic_group(std::int64_t id);

// Trains `model_type` ("als", "mf", "popularity") with `hyperparameters` on every rating of
// `dataset` using the training library, and writes the model directory to `directory`. An mf
// directory's model.json records mean_rating, the mean training rating.
void write_trained_model(const Dataset& dataset, const std::string& model_type,
                         const std::string& hyperparameters_json,
                         const std::filesystem::path& directory);

// The mean_rating that the model.json of `directory` records; throws when it has none.
double recorded_mean_rating(const std::filesystem::path& directory);

// Trains the default ALS model on the u1 split of the MovieLens 100k copy at `data` with the
// training library, as `recsys train --split u1` does, writing the model directory.
void train_movielens_model(const std::filesystem::path& data,
                           const std::filesystem::path& directory);

// Returns the exact top-k movie ids of every user of the model directory by inner product
// over all movies, leaving out the user's training ratings. Ties go to the lower movie id.
std::map<std::int64_t, std::vector<std::int64_t>> exact_top_k(
    const std::filesystem::path& directory, int k);

// The training ratings of `user_id` in the model directory: (movie id, rating) are not stored
// there, so this takes them from `ratings`.
std::vector<std::pair<std::int64_t, float>> ratings_of(const std::vector<Rating>& ratings,
                                                       std::int64_t user_id);

}  // namespace recsys::testing
