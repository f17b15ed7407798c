#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "data/loader.hpp"
#include "tracking/mlflow_training_observer.hpp"
#include "train/biased_mf.hpp"
#include "train/implicit_als.hpp"
#include "train/interrupt.hpp"
#include "train/metrics_table.hpp"
#include "train/training_run.hpp"

namespace recsys::cli {

namespace {

// Command-line values of `recsys train` that are not TrainingRunOptions fields as they are.
struct TrainCommandOptions {
  TrainingRunOptions run;
  std::string data;
  std::string folds;            // Comma-separated split methods.
  std::string hyperparameters;  // JSON object merged under the single options.
  std::string invalid_lines = "reject";
  int factors = 0;
  double regularization = 0.0;
  double alpha = 0.0;
  int iterations = 0;
  int burn_in = 0;
  int samples = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  std::string solver;
  int cg_steps = 0;
  std::string confidence;
  double epsilon = 0.0;
  double bias_regularization = 0.0;
  bool weighted_regularization = true;
  double min_rating = 0.0;
  bool no_tracking = false;
  tracking::MlflowTrackingOptions tracking;
};

// Splits --folds at commas; an empty or repeated split is an error.
std::vector<std::string> split_folds(const std::string& text) {
  std::vector<std::string> parts;
  if (text.empty()) {
    return parts;
  }
  std::string part;
  for (char c : text + ",") {
    if (c != ',') {
      if (c != ' ') {
        part += c;
      }
      continue;
    }
    if (part.empty()) {
      throw Error("invalid --folds \"" + text +
                  "\": it has an empty split; list splits such as u1,u2,u3,u4,u5");
    }
    if (std::find(parts.begin(), parts.end(), part) != parts.end()) {
      throw Error("invalid --folds \"" + text + "\": split " + part +
                  " appears twice; list each split once");
    }
    parts.push_back(part);
    part.clear();
  }
  return parts;
}

// Collects the hyperparameters given on the command line; the model rejects foreign ones.
nlohmann::json collect_hyperparameters(const CLI::App& train, const TrainCommandOptions& o) {
  nlohmann::json values = nlohmann::json::object();
  if (!o.hyperparameters.empty()) {
    try {
      values = nlohmann::json::parse(o.hyperparameters);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error("invalid --hyperparameters: not JSON: " + std::string(e.what()));
    }
  }
  auto given = [&train](const std::string& flag) { return train.count(flag) > 0; };
  if (given("--factors"))
    values["factors"] = o.factors;
  if (given("--regularization"))
    values["regularization"] = o.regularization;
  if (given("--alpha"))
    values["alpha"] = o.alpha;
  if (given("--iterations"))
    values["iterations"] = o.iterations;
  if (given("--burn-in"))
    values["burn_in"] = o.burn_in;
  if (given("--samples"))
    values["samples"] = o.samples;
  if (given("--seed"))
    values["seed"] = o.seed;
  if (given("--threads"))
    values["threads"] = o.threads;
  if (given("--solver"))
    values["solver"] = o.solver;
  if (given("--cg-steps"))
    values["cg_steps"] = o.cg_steps;
  if (given("--confidence"))
    values["confidence"] = o.confidence;
  if (given("--epsilon"))
    values["epsilon"] = o.epsilon;
  if (given("--bias-regularization"))
    values["bias_regularization"] = o.bias_regularization;
  if (given("--weighted-regularization")) {
    values["weighted_regularization"] = o.weighted_regularization;
  }
  if (given("--min-rating"))
    values["min_rating"] = o.min_rating;
  return values;
}

void add_hyperparameter_options(CLI::App& train, TrainCommandOptions& o) {
  const ImplicitAlsOptions als;
  const BiasedMfOptions mf;
  train.add_option(
      "--factors", o.factors,
      fmt::format("Latent factors (als default {}, mf default {})", als.factors, mf.factors));
  train.add_option("--regularization", o.regularization,
                   fmt::format("L2 regularization lambda of the factors (als default {}; mf "
                               "default {}, used by its als solver and by fold-in of new users)",
                               als.regularization, mf.regularization));
  train.add_option("--alpha", o.alpha,
                   fmt::format("als: confidence per unit of rating (default {})", als.alpha));
  train.add_option("--iterations", o.iterations,
                   fmt::format("Alternating least squares sweeps (als default {}, mf with "
                               "--solver als default {})",
                               als.iterations, mf.iterations));
  train.add_option(
      "--burn-in", o.burn_in,
      fmt::format("mf gibbs: sweeps discarded before averaging (default {})", mf.burn_in));
  train.add_option("--samples", o.samples,
                   fmt::format("mf gibbs: sweeps averaged into the posterior mean after the "
                               "burn-in (default {})",
                               mf.samples));
  train.add_option("--seed", o.seed,
                   fmt::format("Seed of the initial factors and of the mf Gibbs sampler "
                               "(default {})",
                               als.seed));
  train.add_option("--threads", o.threads,
                   "Worker threads (default: every hardware thread); results do not depend "
                   "on it");
  train.add_option("--solver", o.solver,
                   fmt::format("als: cg (conjugate gradient) or cholesky (default {}); mf: gibbs "
                               "(Bayesian posterior mean) or als (penalized least squares) "
                               "(default {})",
                               als.solver, mf.solver));
  train.add_option(
      "--cg-steps", o.cg_steps,
      fmt::format("als: conjugate gradient steps per row and sweep (default {})", als.cg_steps));
  train.add_option("--confidence", o.confidence,
                   fmt::format("als: linear (1 + alpha r) or log (1 + alpha ln(1 + r/epsilon)) "
                               "(default {})",
                               als.confidence));
  train.add_option("--epsilon", o.epsilon,
                   fmt::format("als: scale of the log confidence (default {})", als.epsilon));
  train.add_option("--bias-regularization", o.bias_regularization,
                   fmt::format("mf: L2 regularization of the biases, used by the als solver and "
                               "by fold-in of new users (default {})",
                               mf.bias_regularization));
  train.add_option("--weighted-regularization", o.weighted_regularization,
                   fmt::format("mf: scale each row's regularization by its rating count, "
                               "true or false (default {})",
                               mf.weighted_regularization));
  train.add_option("--min-rating", o.min_rating,
                   "popularity: count only ratings at or above this value (default 0: all)");
  train.add_option("--hyperparameters", o.hyperparameters,
                   "Hyperparameters as a JSON object, such as '{\"factors\": 32}'; the single "
                   "options above override it");
}

// Registers the run that training just FINISHED. A failure keeps the run FINISHED and the
// model directory, and the message gives the command that retries the registration.
void register_trained_model(const tracking::MlflowTrainingObserver& observer,
                            const std::filesystem::path& model_dir) {
  // run_train_command rejects --register without --out before training, so model_dir is set.
  const std::string kept =
      "MLflow run " + observer.run_id() + " stays FINISHED with its model artifacts and the " +
      "model directory " + model_dir.string() + " was kept; to register it, run: " +
      tracking::format_register_command(observer.registration_options());

  // Ctrl-C stops at the next check point, before the alias moves (see register_model).
  const int pending_signal = InterruptGuard::received_signal();
  InterruptGuard guard;
  tracking::RegistrationResult registration;
  try {
    if (pending_signal != 0) {
      throw TrainingInterrupted(pending_signal);
    }
    registration = observer.register_run();
  } catch (const TrainingInterrupted& e) {
    spdlog::error("registration interrupted by {}: {}",
                  e.signal_number() == SIGINT ? "SIGINT" : "SIGTERM", kept);
    throw CLI::RuntimeError(128 + e.signal_number());
  } catch (const std::exception& e) {
    // File store I/O errors arrive as std::filesystem::filesystem_error.
    throw Error("registering the model failed: " + std::string(e.what()) + ". " + kept);
  }

  std::cout << "registered: " << registration.model_name << " version " << registration.version
            << '\n'
            << (registration.promoted ? "promoted to champion: " : "champion unchanged: ")
            << registration.reason << '\n';
}

void run_train_command(const CLI::App& train, TrainCommandOptions& o) {
  o.run.data = o.data;
  o.run.split.invalid_lines = parse_invalid_line_policy(o.invalid_lines);
  o.run.folds = split_folds(o.folds);
  o.run.hyperparameters = collect_hyperparameters(train, o);
  if (o.run.out.empty() && o.run.folds.empty()) {
    throw Error("missing --out: name the model directory to write, such as --out models/als");
  }

  // Every run is tracked in MLflow unless --no-tracking; the observer resolves the tracking
  // URI before training, so a wrong URI fails at once.
  std::unique_ptr<tracking::MlflowTrainingObserver> observer;
  if (o.no_tracking && o.tracking.register_model) {
    throw Error("--register needs MLflow tracking: drop --no-tracking");
  }
  if (o.tracking.register_model && o.run.out.empty()) {
    throw Error(
        "--register needs --out: name the model directory to write and register, such "
        "as --out models/als");
  }
  if (!o.no_tracking) {
    observer = tracking::make_mlflow_training_observer(o.tracking);
  }

  TrainingRunResult result;
  try {
    result = run_training(o.run, observer.get());
  } catch (const TrainingInterrupted& e) {
    spdlog::error("{}", e.what());
    throw CLI::RuntimeError(128 + e.signal_number());
  }

  if (result.folds.size() > 1) {
    std::cout << format_folds_table(result);
  } else {
    std::cout << format_metrics_table(result.metrics, result.folds.front().split);
  }
  if (!result.model_dir.empty()) {
    std::cout << "model: " << result.model_dir.string() << '\n';
  }
  if (observer && !observer->run_id().empty()) {
    std::cout << "mlflow run: " << observer->run_id() << " (experiment "
              << observer->experiment_id() << ")\n";
  }
  if (observer && o.tracking.register_model) {
    register_trained_model(*observer, result.model_dir);
  }
}

void add_tracking_options(CLI::App& train, TrainCommandOptions& o) {
  train.add_flag("--no-tracking", o.no_tracking, "Do not log the run to MLflow");
  train.add_option("--tracking-uri", o.tracking.tracking_uri,
                   "MLflow tracking URI: http(s)://host:port for a tracking server, or a file "
                   "store directory (default: MLFLOW_TRACKING_URI, else ./mlruns)");
  train.add_option("--experiment", o.tracking.experiment_name, "MLflow experiment name")
      ->capture_default_str();
  train.add_option("--run-name", o.tracking.run_name,
                   "MLflow run name (default: <model>-<UTC time>)");
  train.add_flag("--register", o.tracking.register_model,
                 "After the run, register the model as a new version and move the champion "
                 "alias to it when it beats the current champion. When registration fails, the "
                 "FINISHED run and --out are kept, and the error gives the recsys register "
                 "command that retries it");
  train
      .add_option("--registered-model", o.tracking.registered_model_name,
                  "Registered model name for --register")
      ->capture_default_str();
  train
      .add_option("--promotion-metric", o.tracking.promotion_metric,
                  "Metric that decides promotion; higher is better except rmse, mae, mse "
                  "and *_loss")
      ->capture_default_str();
  train.add_flag("--force-promotion", o.tracking.force_promotion,
                 "With --register: move the champion alias even when the version is not "
                 "better or not comparable");
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainCommandOptions>();
  CLI::App* train = app.add_subcommand(
      "train",
      "Train a model on a split, evaluate it on the test ratings and write the model "
      "directory");

  train->add_option("--data", o->data,
                    "Release folder or .zip (default: $ML100K_DIR, else the copy cached by "
                    "`recsys data fetch`)");
  train
      ->add_option("--release", o->run.release,
                   "auto, ml-100k, ml-1m, ml-latest-small, ml-latest, ml-20m, ml-25m or ml-32m")
      ->capture_default_str();
  train
      ->add_option("--split", o->run.split.method,
                   "u1..u5, ua, ub (ML-100k's files), random or temporal")
      ->capture_default_str();
  train
      ->add_option("--test-fraction", o->run.split.test_fraction,
                   "random split: share of each user's ratings in the test set")
      ->capture_default_str();
  train
      ->add_option("--split-seed", o->run.split.seed,
                   "random split and validation: seed of the held-out ratings")
      ->capture_default_str();
  train
      ->add_option("--holdout", o->run.split.holdout,
                   "temporal split: latest ratings per user in the test set")
      ->capture_default_str();
  train->add_option("--folds", o->folds,
                    "Comma-separated splits to train and evaluate in turn, such as "
                    "u1,u2,u3,u4,u5; prints mean ± standard deviation and writes the first "
                    "fold's model when --out is given");
  train
      ->add_option("--model", o->run.model,
                   "als (implicit feedback, for recommendations), mf (explicit ratings: use it "
                   "for rating prediction) or popularity")
      ->capture_default_str()
      ->check(CLI::IsMember({"als", "mf", "popularity"}));
  train->add_option("--out", o->run.out,
                    "Model directory to write; must not exist or be empty (required unless "
                    "--folds is given)");
  train->add_option("--k", o->run.evaluation.k, "Cut-off of the ranking metrics")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train
      ->add_option("--relevance-threshold", o->run.evaluation.relevance_threshold,
                   "A test rating at or above this makes the movie relevant")
      ->capture_default_str();
  train
      ->add_option("--validation-fraction", o->run.validation_fraction,
                   "Hold out this share of each user's training ratings and report NDCG@K "
                   "on it after every iteration (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  add_invalid_lines_option(*train, o->invalid_lines);
  add_hyperparameter_options(*train, *o);
  add_tracking_options(*train, *o);

  train->callback([train, o] { run_train_command(*train, *o); });
}

}  // namespace recsys::cli
