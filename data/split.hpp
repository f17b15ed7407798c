#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/loader.hpp"

namespace recsys {

// A train/test partition of a dataset's ratings. Both parts keep the order of the ratings
// file (or of the official split file).
struct Split {
  std::string name;  // The method, such as "u1", "random" or "temporal".
  std::vector<Rating> train;
  std::vector<Rating> test;
};

struct SplitOptions {
  // "u1".."u5", "ua", "ub": the official ML-100k files u1.base/u1.test and so on, read from the
  // dataset's source directory or zip (an error for releases without them).
  // "random": per-user holdout of test_fraction of each user's ratings, chosen by seed.
  // "temporal": per-user holdout of the `holdout` latest ratings by timestamp, ties broken by
  // movie id.
  std::string method = "u1";
  double test_fraction = 0.2;  // "random": share of each user's ratings in test, in (0, 1).
  std::uint64_t seed = 42;     // "random": the same seed gives the same split on any machine.
  // "temporal": ratings per user in test. 5 rather than 1, so that each user adds several test
  // ratings and Recall@K over a few hundred users is less noisy.
  int holdout = 5;
  // Official splits: what to do with an invalid line of NAME.base or NAME.test.
  InvalidLinePolicy invalid_lines = InvalidLinePolicy::kReject;
};

// Splits the dataset's ratings. Random and temporal splits keep at least one rating of every
// user in train. Throws recsys::Error for an unknown method, an option out of range, missing
// official split files or a rating that is in both official files.
Split make_split(const Dataset& dataset, const SplitOptions& options);

// Holds out `fraction` of each user's ratings in `train` as Split::test, for tuning, the rest
// staying in Split::train; the name is "validation". Deterministic for a seed, and drawn
// independently of the "random" split with the same seed.
Split carve_validation(const std::vector<Rating>& train, double fraction, std::uint64_t seed);

}  // namespace recsys
