#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "data/loader.hpp"
#include "train/metrics_table.hpp"
#include "train/model_evaluation.hpp"

namespace recsys::cli {

namespace {

struct EvaluateCommandOptions {
  ModelEvaluationOptions evaluation;
  std::string model_dir;
  std::string data;
  std::string report;  // File for the JSON report; empty writes none.
  std::string invalid_lines = "reject";
};

void run_evaluate_command(const EvaluateCommandOptions& o) {
  ModelEvaluationOptions options = o.evaluation;
  options.model_dir = o.model_dir;
  options.data = o.data;
  options.invalid_lines = parse_invalid_line_policy(o.invalid_lines);
  const EvaluationResult result = evaluate_model_directory(options);

  if (!o.report.empty()) {
    std::ofstream report(o.report);
    report << result.to_json().dump(2) << '\n';
    if (!report) {
      throw Error("failed to write the evaluation report " + o.report +
                  ": check that its folder exists and is writable");
    }
  }
  std::cout << format_metrics_table(result.metrics, "value");
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<EvaluateCommandOptions>();
  CLI::App* evaluate = app.add_subcommand(
      "evaluate", "Evaluate a model directory written by `recsys train` on a split's test set");
  evaluate->add_option("--model", o->model_dir, "Model directory")->required();
  evaluate->add_option("--data", o->data,
                       "Release folder or .zip (default: $ML100K_DIR, else the copy cached by "
                       "`recsys data fetch`)");
  evaluate->add_option("--release", o->evaluation.release, "Release format, as for train")
      ->capture_default_str();
  evaluate->add_option("--split", o->evaluation.split,
                       "Split to evaluate on (default: the split the model was trained on)");
  evaluate->add_option("--k", o->evaluation.evaluation.k, "Cut-off of the ranking metrics")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  evaluate
      ->add_option("--relevance-threshold", o->evaluation.evaluation.relevance_threshold,
                   "A test rating at or above this makes the movie relevant")
      ->capture_default_str();
  add_invalid_lines_option(*evaluate, o->invalid_lines);
  evaluate->add_option("--report", o->report, "Also write the evaluation report as JSON here");
  evaluate->callback([o] { run_evaluate_command(*o); });
}

}  // namespace recsys::cli
