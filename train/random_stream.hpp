#pragma once

#include <cstdint>

namespace recsys {

// A stream of random numbers keyed by a seed and up to three counters (such as sweep, side and
// row). Each key starts its own stream, so a parallel sampler gives every row its own numbers
// and its result does not depend on which thread drew them. The generator is SplitMix64
// (Steele, Lea and Flood 2014) and the distributions are computed by hand, not by the standard
// library, so a key gives the same numbers with every compiler.
class RandomStream {
 public:
  RandomStream(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0);

  std::uint64_t next_bits();
  // Uniform in the open interval (0, 1), with 53 random bits.
  double uniform();
  // Standard normal, by Marsaglia's polar method.
  double normal();
  // Gamma with this shape (> 0) and scale 1, by Marsaglia and Tsang's method (2000).
  double gamma(double shape);

 private:
  std::uint64_t state_;
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace recsys
