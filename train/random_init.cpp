#include "train/random_init.hpp"

#include <random>

namespace recsys {

void fill_uniform(RowMatrix& matrix, std::uint64_t seed, float scale) {
  std::mt19937_64 generator(seed);
  float* values = matrix.data();
  const Eigen::Index size = matrix.size();
  for (Eigen::Index k = 0; k < size; ++k) {
    // The top 24 bits give a float in [0, 1) exactly.
    const auto unit = static_cast<float>(generator() >> 40) * 0x1.0p-24F;
    values[k] = (2.0F * unit - 1.0F) * scale;
  }
}

}  // namespace recsys
