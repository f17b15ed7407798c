#include "train/recommender.hpp"

#include "core/error.hpp"
#include "train/biased_mf.hpp"
#include "train/implicit_als.hpp"
#include "train/popularity.hpp"

namespace recsys {

const std::vector<std::string>& recommender_names() {
  static const std::vector<std::string> names = {"als", "mf", "popularity"};
  return names;
}

std::unique_ptr<Recommender> make_recommender(const std::string& name,
                                              const nlohmann::json& hyperparameters) {
  if (name == "als") {
    return std::make_unique<ImplicitAls>(ImplicitAlsOptions::from_json(hyperparameters));
  }
  if (name == "mf") {
    return std::make_unique<BiasedMf>(BiasedMfOptions::from_json(hyperparameters));
  }
  if (name == "popularity") {
    return std::make_unique<Popularity>(PopularityOptions::from_json(hyperparameters));
  }
  throw Error("unknown model '" + name + "': use als, mf or popularity");
}

}  // namespace recsys
