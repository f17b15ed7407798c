#include "tracking/promotion.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace recsys::tracking {

namespace {

// Metric values in messages get this many significant digits, while the logged values stay
// exact.
constexpr int kMessageDigits = 4;
constexpr int kMaxDigits = 17;  // max_digits10 of double: distinguishes any two values.

std::string format_digits(double value, int digits) {
  return fmt::format("{:.{}g}", value, digits);
}

// Formats two compared values at kMessageDigits significant digits, with more digits when
// that is needed to show that they differ.
std::pair<std::string, std::string> format_compared(double first, double second) {
  int digits = kMessageDigits;
  while (digits < kMaxDigits && first != second &&
         format_digits(first, digits) == format_digits(second, digits)) {
    ++digits;
  }
  return {format_digits(first, digits), format_digits(second, digits)};
}

// "<first> vs <second>", where a missing value reads "no value".
std::string versus(const std::optional<double>& first, const std::optional<double>& second) {
  if (first && second) {
    const auto [first_text, second_text] = format_compared(*first, *second);
    return first_text + " vs " + second_text;
  }
  const auto describe = [](const std::optional<double>& value) {
    return value ? format_digits(*value, kMessageDigits) : std::string("no value");
  };
  return describe(first) + " vs " + describe(second);
}

}  // namespace

bool lower_is_better(const std::string& metric) {
  return metric == "rmse" || metric == "mae" || metric == "mse" || metric.ends_with("_loss");
}

PromotionDecision decide_promotion(const PromotionCandidate& candidate,
                                   const std::optional<PromotionCandidate>& champion,
                                   const std::string& metric, bool force) {
  const std::string name = "version " + candidate.version;
  const auto finite = [](const std::optional<double>& value) {
    return value && std::isfinite(*value);
  };
  if (champion && champion->version == candidate.version) {
    return {true, name + " is the champion already"};
  }
  // A NaN or infinite score means a broken evaluation. Promoting it would leave no value to
  // compare later versions with, so not even --force-promotion promotes it.
  if (candidate.metric_value && !finite(candidate.metric_value)) {
    return {false, name + " is not promoted: its " + metric + " is " +
                       format_digits(*candidate.metric_value, kMessageDigits) +
                       ", not a finite number; check its evaluation and register it again"};
  }
  if (!champion) {
    return {true, name + " becomes champion: no version has the alias yet"};
  }
  const std::string champion_name = "champion version " + champion->version;
  if (force) {
    return {true, name + " replaces " + champion_name + " because --force-promotion was given (" +
                      metric + " " + versus(candidate.metric_value, champion->metric_value) + ")"};
  }
  if (!finite(champion->metric_value)) {
    const std::string held = champion->metric_value
                                 ? "is " + format_digits(*champion->metric_value, kMessageDigits)
                                 : std::string("is missing");
    if (finite(candidate.metric_value)) {
      return {true, name + " replaces " + champion_name + ": the champion's " + metric + " " +
                        held + ", so any finite value beats it, and " + name + " has " +
                        format_digits(*candidate.metric_value, kMessageDigits)};
    }
    return {false, "keeping " + champion_name + ": neither it nor " + name + " has a " + metric +
                       " value to compare; pass --force-promotion to promote anyway"};
  }
  if (candidate.dataset_fingerprint != champion->dataset_fingerprint ||
      candidate.split != champion->split) {
    return {false,
            "keeping " + champion_name + ": it was evaluated on data set " +
                champion->dataset_fingerprint + " split '" + champion->split + "', " + name +
                " on " + candidate.dataset_fingerprint + " split '" + candidate.split +
                "', so their metrics are not comparable; pass --force-promotion to promote anyway"};
  }
  if (!candidate.metric_value) {
    return {false, "keeping " + champion_name + ": " + name + " has no " + metric + " value"};
  }

  const bool lower = lower_is_better(metric);
  const double challenger = *candidate.metric_value;
  const double holder = *champion->metric_value;
  const bool better = lower ? challenger < holder : challenger > holder;
  const std::string comparison = metric + " " + versus(challenger, holder) + " (" +
                                 (lower ? "lower" : "higher") + " is better)";
  if (better) {
    return {true, name + " replaces " + champion_name + ": " + comparison};
  }
  return {false, "keeping " + champion_name + ": " + name + " is not better, " + comparison};
}

}  // namespace recsys::tracking
