#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/embeddings.hpp"
#include "train/rating_matrix.hpp"

namespace recsys {

// The state of a model after one training iteration.
struct TrainingProgress {
  int iteration = 0;                      // Counts from 1.
  int iterations = 0;                     // Iterations planned.
  std::map<std::string, double> metrics;  // "train_loss" or "train_rmse", and others.
  // Builds the embeddings as of this iteration; costs a copy of the factors, so callers that
  // only log the metrics do not call it.
  std::function<Embeddings()> embeddings;
};

// Called after every iteration. It may throw (for example when the run is interrupted), which
// stops training and propagates out of Recommender::fit.
using IterationCallback = std::function<void(const TrainingProgress&)>;

// A model that learns user and movie embeddings from training ratings. Implementations keep
// their hyperparameters from construction; fit may be called more than once.
class Recommender {
 public:
  virtual ~Recommender() = default;

  // The model type: "als", "mf" or "popularity".
  virtual std::string name() const = 0;
  // Every hyperparameter with the value in use, defaults included.
  virtual nlohmann::json hyperparameters() const = 0;
  // Latent factors, without the bias dimensions folded into the embeddings.
  virtual int factors() const = 0;
  // True when the score predicts a rating, so that RMSE and MAE mean something.
  virtual bool predicts_ratings() const = 0;

  // Trains on `train` and returns one embedding row per user and movie row of `train`.
  virtual Embeddings fit(const RatingMatrix& train, const IterationCallback& on_iteration) = 0;
};

// Creates the model `name` ("als", "mf" or "popularity") with `hyperparameters` overriding its
// defaults. Throws recsys::Error for an unknown model, an unknown hyperparameter name or a
// value out of range, naming the accepted ones.
std::unique_ptr<Recommender> make_recommender(
    const std::string& name, const nlohmann::json& hyperparameters = nlohmann::json::object());

// The model names make_recommender accepts, the default ("als") first.
const std::vector<std::string>& recommender_names();

}  // namespace recsys
