#include "train/random_stream.hpp"

#include <cmath>

namespace recsys {

namespace {

// The SplitMix64 output function: a bijective mix of all 64 bits.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

}  // namespace

RandomStream::RandomStream(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c)
    : state_(mix(mix(mix(mix(seed) + a * kGoldenGamma) + b * kGoldenGamma) + c * kGoldenGamma)) {}

std::uint64_t RandomStream::next_bits() {
  state_ += kGoldenGamma;
  return mix(state_);
}

double RandomStream::uniform() {
  return (static_cast<double>(next_bits() >> 11) + 0.5) * 0x1.0p-53;
}

double RandomStream::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  double x = 0.0;
  double y = 0.0;
  double s = 0.0;
  do {
    x = 2.0 * uniform() - 1.0;
    y = 2.0 * uniform() - 1.0;
    s = x * x + y * y;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = y * factor;
  has_spare_normal_ = true;
  return x * factor;
}

double RandomStream::gamma(double shape) {
  // Shapes below 1 use Gamma(shape) = Gamma(shape + 1) * U^(1 / shape).
  if (shape < 1.0) {
    const double boost = std::pow(uniform(), 1.0 / shape);
    return gamma(shape + 1.0) * boost;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x ||
        std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) {
      return d * v;
    }
  }
}

}  // namespace recsys
