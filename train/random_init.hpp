#pragma once

#include <cstdint>

#include "train/embeddings.hpp"

namespace recsys {

// Fills `matrix` row by row with values drawn uniformly from [-scale, scale) by a 64-bit
// Mersenne Twister seeded with `seed`. The bits are converted by hand, not by a standard
// library distribution, so the same seed gives the same matrix with every compiler.
void fill_uniform(RowMatrix& matrix, std::uint64_t seed, float scale);

}  // namespace recsys
