#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "train/model_directory.hpp"

namespace recsys::testing {

// Shape of a synthetic model: embeddings drawn around `clusters` random centers, so that the
// inner-product neighborhoods look like those of a trained model rather than uniform noise.
struct TestModelOptions {
  int movies = 300;
  int users = 100;
  int dimension = 16;
  int clusters = 8;
  float spread = 0.5F;  // Standard deviation around a center; the centers have 1.
  int ratings_per_user = 20;
  std::uint64_t seed = 1;
  // Every movie whose index is a multiple of this gets the extra genre "Rare" (0: none).
  int rare_genre_every = 0;
};

// Builds a model with a catalog (titles with quotes and non-ASCII letters, years 1950-2019,
// one to three genres), users with demographics and training ratings.
ModelDirectory make_test_model(const TestModelOptions& options);

// Writes `model` with write_model_directory into a new directory under `parent` and reads it
// back with read_model_directory, as `recsys publish --model-dir` does.
ModelDirectory round_trip(const ModelDirectory& model, const std::filesystem::path& parent,
                          const std::string& name);

}  // namespace recsys::testing
