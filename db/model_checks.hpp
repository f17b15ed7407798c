#pragma once

#include <filesystem>
#include <limits>

#include "train/model_directory.hpp"

namespace recsys::db {

// Largest inner product that publish lets a model produce: half of FLT_MAX (about 1.7e38).
// pgvector sums the products of an inner product in float32, and every partial sum is at most
// the product of the two L2 norms, so norms whose product stays below this bound give finite
// scores. The other half absorbs the float32 rounding of up to 2,000 terms.
inline constexpr double kMaxInnerProduct = std::numeric_limits<float>::max() / 2.0;

// Reads the model directory for publishing. model.json's model_type is checked first, so a
// missing or unknown type is reported as such rather than as a generic metadata error. Throws
// recsys::InputError naming the file and recsys::Error for the checks of read_model_directory.
ModelDirectory read_model_for_publish(const std::filesystem::path& directory);

// Checks that `model` can be published and served, before anything is written:
// - model_type is one the service serves (als, mf or popularity);
// - the dimension is 1 to 2,000 and the embedding matrices have it;
// - ids are unique, every movie with an embedding is in the catalog, and mean_rating, when
//   present, is finite;
// - every embedding value is a finite float32;
// - inner products stay finite: max user norm x max movie norm and (max movie norm)^2, for
//   the HNSW build and the similar-movie search, are at most kMaxInnerProduct.
// `directory` prefixes the file names in messages; empty leaves them bare. Throws
// recsys::Error naming the file, row, id and value, and what to do.
void check_publishable(const ModelDirectory& model, const std::filesystem::path& directory);

}  // namespace recsys::db
