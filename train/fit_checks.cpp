#include "train/fit_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace recsys {

namespace {

// Returns what to change so that the next fit converges.
std::string remedy(const std::string& model) {
  return model == "als" ? "the fit diverged: retrain with a lower --alpha or a higher "
                          "--regularization"
                        : "the fit diverged: retrain with a higher --regularization";
}

// Returns the largest row norm, after checking that every value is finite.
double max_row_norm(const RowMatrix& rows, const std::vector<std::int64_t>& ids, const char* side,
                    const std::string& model) {
  double largest = 0.0;
  for (Eigen::Index r = 0; r < rows.rows(); ++r) {
    double squared = 0.0;
    for (Eigen::Index c = 0; c < rows.cols(); ++c) {
      const double value = rows(r, c);
      if (!std::isfinite(value)) {
        throw Error(
            fmt::format("the {} model's embedding of {} {} has the value {} in dimension "
                        "{}: {}",
                        model, side, ids[static_cast<std::size_t>(r)], value, c, remedy(model)));
      }
      squared += value * value;
    }
    largest = std::max(largest, std::sqrt(squared));
  }
  return largest;
}

}  // namespace

void check_embeddings(const Embeddings& embeddings, const std::string& model) {
  const double users = max_row_norm(embeddings.users, embeddings.user_ids, "user", model);
  const double movies = max_row_norm(embeddings.movies, embeddings.movie_ids, "movie", model);
  // Half of FLT_MAX, as db::kMaxInnerProduct: float32 sums of the products stay finite.
  const double limit = static_cast<double>(std::numeric_limits<float>::max()) / 2.0;
  const double bound = std::max(users * movies, movies * movies);
  if (!(bound <= limit)) {
    throw Error(
        fmt::format("the {} model's scores could overflow a float: the largest user "
                    "norm is {:.4g} and the largest movie norm {:.4g}, so a score "
                    "could reach {:.4g}; {}",
                    model, users, movies, bound, remedy(model)));
  }
}

void check_iteration_metrics(const std::map<std::string, double>& metrics, const std::string& model,
                             int iteration) {
  for (const auto& [name, value] : metrics) {
    if (!std::isfinite(value)) {
      throw Error(fmt::format("the {} model's {} is {} after iteration {}: {}", model, name, value,
                              iteration, remedy(model)));
    }
  }
}

}  // namespace recsys
