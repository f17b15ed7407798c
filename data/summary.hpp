#pragma once

#include <string>

#include "data/dataset.hpp"

namespace recsys {

// Formats what `recsys data info` prints: release, source, counts, rating scale, genres and
// fingerprint, one "name: value" per line.
std::string summarize_dataset(const Dataset& dataset);

}  // namespace recsys
