// Grid search of a model's hyperparameters on a validation split carved from a training file,
// never on its test file. Prints every configuration's validation score and the best one, then
// (with --report-test) trains the best on the whole training file and reports the test split.
//
//   tune_model --model als --grid factors=32,64,128 --grid regularization=10,20,30,50
//   tune_model --model mf --grid factors=5,10,20 --grid samples=100,200,400
//   tune_model --model mf --fold-in --grid regularization=0.05,0.1,0.2
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/logging.hpp"
#include "data/loader.hpp"
#include "data/split.hpp"
#include "evaluate/evaluation.hpp"
#include "inference/fold_in.hpp"
#include "train/rating_matrix.hpp"
#include "train/recommender.hpp"
#include "train/training_run.hpp"

namespace {

using recsys::Error;

struct TuneOptions {
  std::string data;
  std::string model = "als";
  std::string split = "u1";
  double validation_fraction = 0.2;
  std::vector<std::uint64_t> validation_seeds = {1, 2, 3};
  std::vector<std::string> grid;  // "name=v1,v2,..."
  std::string fixed = "{}";       // Hyperparameters held constant, as JSON.
  bool report_test = false;
  bool fold_in = false;
  std::vector<std::string> test_folds = {"u1", "u2", "u3", "u4", "u5"};
};

struct Axis {
  std::string name;
  std::vector<nlohmann::json> values;
};

// Parses "name=v1,v2": each value is read as JSON when it is a number or boolean, else text.
Axis parse_axis(const std::string& spec) {
  const auto equals = spec.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw Error("invalid --grid '" + spec + "': use name=value1,value2");
  }
  Axis axis{spec.substr(0, equals), {}};
  std::string rest = spec.substr(equals + 1) + ",";
  std::string value;
  for (char c : rest) {
    if (c != ',') {
      value += c;
      continue;
    }
    if (!value.empty()) {
      auto parsed = nlohmann::json::parse(value, nullptr, false);
      axis.values.push_back(parsed.is_discarded() || parsed.is_string() ? nlohmann::json(value)
                                                                        : parsed);
    }
    value.clear();
  }
  if (axis.values.empty()) {
    throw Error("invalid --grid '" + spec + "': no values");
  }
  return axis;
}

// Returns every combination of the axes' values merged over `fixed`.
std::vector<nlohmann::json> expand_grid(const std::vector<Axis>& axes,
                                        const nlohmann::json& fixed) {
  std::vector<nlohmann::json> configurations = {fixed};
  for (const Axis& axis : axes) {
    std::vector<nlohmann::json> next;
    for (const auto& configuration : configurations) {
      for (const auto& value : axis.values) {
        nlohmann::json extended = configuration;
        extended[axis.name] = value;
        next.push_back(extended);
      }
    }
    configurations = std::move(next);
  }
  return configurations;
}

struct Score {
  nlohmann::json hyperparameters;
  double ndcg = 0.0;
  double recall = 0.0;
  double rmse = 0.0;
  double fold_in_rmse = 0.0;
};

// Returns the RMSE on carve.test when every user is embedded by the service's fold-in from
// the user's carve.train ratings, against the trained movie embeddings, instead of trained.
double fold_in_rmse(const std::string& model, const nlohmann::json& hyperparameters,
                    const recsys::Embeddings& embeddings, const recsys::Split& carve) {
  const auto fold_in = recsys::inference::make_fold_in_model(
      model, hyperparameters, static_cast<int>(embeddings.movies.cols()), embeddings.movie_ids,
      embeddings.movies, embeddings.mean_rating.value_or(0.0));
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, double>>> ratings_by_user;
  for (const recsys::Rating& rating : carve.train) {
    ratings_by_user[rating.user_id].emplace_back(rating.movie_id, rating.rating);
  }
  std::map<std::int64_t, Eigen::Index> movie_rows;
  for (std::size_t row = 0; row < embeddings.movie_ids.size(); ++row) {
    movie_rows[embeddings.movie_ids[row]] = static_cast<Eigen::Index>(row);
  }

  std::map<std::int64_t, std::vector<float>> folded;
  double squared_error = 0.0;
  for (const recsys::Rating& rating : carve.test) {
    auto user = folded.find(rating.user_id);
    if (user == folded.end()) {
      user = folded
                 .emplace(rating.user_id,
                          recsys::inference::fold_in_user(fold_in, ratings_by_user[rating.user_id]))
                 .first;
    }
    const auto movie = embeddings.movies.row(movie_rows.at(rating.movie_id));
    double prediction = 0.0;
    for (Eigen::Index j = 0; j < movie.size(); ++j) {
      prediction += static_cast<double>(user->second[static_cast<std::size_t>(j)]) * movie(j);
    }
    squared_error += (prediction - rating.rating) * (prediction - rating.rating);
  }
  return std::sqrt(squared_error /
                   static_cast<double>(std::max<std::size_t>(carve.test.size(), 1)));
}

int run(const TuneOptions& options) {
  recsys::LoadOptions load;
  load.path = recsys::resolve_data_path(options.data);
  const recsys::Dataset dataset = recsys::load_dataset(load);
  recsys::SplitOptions split_options;
  split_options.method = options.split;
  const recsys::Split split = recsys::make_split(dataset, split_options);
  const recsys::CatalogIds catalog = recsys::catalog_ids(dataset);

  std::vector<Axis> axes;
  for (const auto& spec : options.grid) {
    axes.push_back(parse_axis(spec));
  }
  const auto configurations = expand_grid(axes, nlohmann::json::parse(options.fixed));
  const bool rating_model =
      recsys::make_recommender(options.model, configurations.front())->predicts_ratings();

  // Carve the validation splits once, so that every configuration is scored on the same ones.
  std::vector<recsys::Split> carves;
  std::vector<recsys::RatingMatrix> matrices;
  for (std::uint64_t seed : options.validation_seeds) {
    carves.push_back(recsys::carve_validation(split.train, options.validation_fraction, seed));
    matrices.push_back(recsys::build_rating_matrix(carves.back().train, catalog));
  }
  fmt::print(
      "model {} on {} {}: {} configurations x {} validation carves of {:.0f}% of the "
      "training ratings\n",
      options.model, dataset.name, options.split, configurations.size(), carves.size(),
      100.0 * options.validation_fraction);

  std::vector<Score> scores;
  for (const auto& configuration : configurations) {
    Score score{configuration};
    for (std::size_t c = 0; c < carves.size(); ++c) {
      auto model = recsys::make_recommender(options.model, configuration);
      const auto embeddings = model->fit(matrices[c], nullptr);
      recsys::EvaluationOptions evaluation;
      evaluation.rating_metrics = rating_model;
      const auto result = recsys::evaluate(embeddings, carves[c].train, carves[c].test, evaluation);
      score.ndcg += result.metrics.at("ndcg_at_10") / static_cast<double>(carves.size());
      score.recall += result.metrics.at("recall_at_10") / static_cast<double>(carves.size());
      if (rating_model) {
        score.rmse += result.metrics.at("rmse") / static_cast<double>(carves.size());
      }
      if (options.fold_in && rating_model) {
        score.fold_in_rmse += fold_in_rmse(options.model, configuration, embeddings, carves[c]) /
                              static_cast<double>(carves.size());
      }
    }
    fmt::print(
        "{:<70} ndcg_at_10 {:.4f} recall_at_10 {:.4f}{}{}\n", configuration.dump(), score.ndcg,
        score.recall, rating_model ? fmt::format(" rmse {:.4f}", score.rmse) : "",
        options.fold_in && rating_model ? fmt::format(" fold_in_rmse {:.4f}", score.fold_in_rmse)
                                        : "");
    std::fflush(stdout);
    scores.push_back(score);
  }

  // Ranking models are chosen by validation NDCG@10, rating models by validation RMSE.
  const auto best =
      std::min_element(scores.begin(), scores.end(), [&](const auto& a, const auto& b) {
        return rating_model ? a.rmse < b.rmse : a.ndcg > b.ndcg;
      });
  fmt::print("best by validation {}: {} (ndcg_at_10 {:.4f} recall_at_10 {:.4f}{})\n",
             rating_model ? "rmse" : "ndcg_at_10", best->hyperparameters.dump(), best->ndcg,
             best->recall, rating_model ? fmt::format(" rmse {:.4f}", best->rmse) : "");

  if (options.report_test) {
    recsys::TrainingRunOptions run;
    run.data = load.path;
    run.model = options.model;
    run.hyperparameters = best->hyperparameters;
    run.folds = options.test_folds;
    const auto result = recsys::run_training(run, nullptr);
    for (const auto& fold : result.folds) {
      fmt::print(
          "test {}: ndcg_at_10 {:.4f} recall_at_10 {:.4f}{}\n", fold.split,
          fold.evaluation.metrics.at("ndcg_at_10"), fold.evaluation.metrics.at("recall_at_10"),
          rating_model ? fmt::format(" rmse {:.4f}", fold.evaluation.metrics.at("rmse")) : "");
    }
    fmt::print("test mean over {} folds: ndcg_at_10 {:.4f} recall_at_10 {:.4f}{}\n",
               result.folds.size(), result.metrics.at("ndcg_at_10"),
               result.metrics.at("recall_at_10"),
               rating_model ? fmt::format(" rmse {:.4f}", result.metrics.at("rmse")) : "");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  TuneOptions options;
  CLI::App app{
      "Grid search of a model's hyperparameters on a validation split carved from the "
      "training ratings"};
  app.add_option("--data", options.data, "Release folder or .zip (default: $ML100K_DIR)");
  app.add_option("--model", options.model, "als, mf or popularity")->capture_default_str();
  app.add_option("--split", options.split, "Split whose training ratings are carved")
      ->capture_default_str();
  app.add_option("--validation-fraction", options.validation_fraction,
                 "Share of each user's training ratings held out for validation")
      ->capture_default_str();
  app.add_option("--validation-seeds", options.validation_seeds,
                 "Seeds of the validation carves; scores are averaged over them")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--grid", options.grid, "name=value1,value2; repeat for each hyperparameter");
  app.add_option("--fixed", options.fixed, "Hyperparameters held constant, as a JSON object")
      ->capture_default_str();
  app.add_flag("--report-test", options.report_test,
               "Train the best configuration on the full training files and print the test "
               "metrics of --test-folds");
  app.add_flag("--fold-in", options.fold_in,
               "Rating models: also print fold_in_rmse, the validation RMSE when each user is "
               "embedded from its training ratings by the service's fold-in");
  app.add_option("--test-folds", options.test_folds, "Splits for --report-test")
      ->delimiter(',')
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    recsys::configure_logging("warn");
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "tune_model: " << e.what() << '\n';
    return 1;
  }
}
