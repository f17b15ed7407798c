#include "data/split.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/error.hpp"
#include "data/release.hpp"

namespace recsys {

namespace {

constexpr std::array<std::string_view, 7> kOfficialSplits = {"u1", "u2", "u3", "u4",
                                                             "u5", "ua", "ub"};
// Mixed into the seed of carve_validation so that it draws independently of make_split.
constexpr std::uint64_t kValidationSalt = 0x76616c6964617465ULL;

// The SplitMix64 finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", 2014): a fixed bijective mix, the same on every platform.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The ratings' positions grouped by user: group g is positions[offsets[g] .. offsets[g + 1]).
struct UserGroups {
  std::vector<std::size_t> offsets;
  std::vector<std::size_t> positions;
};

// Groups positions by user in one counting pass, keeping file order inside each group.
UserGroups group_by_user(const std::vector<Rating>& ratings) {
  std::unordered_map<std::int64_t, std::size_t> group_of;
  std::vector<std::size_t> group(ratings.size());
  std::vector<std::size_t> counts;
  for (std::size_t i = 0; i < ratings.size(); ++i) {
    auto [entry, inserted] = group_of.try_emplace(ratings[i].user_id, counts.size());
    if (inserted) {
      counts.push_back(0);
    }
    group[i] = entry->second;
    ++counts[entry->second];
  }

  UserGroups groups;
  groups.offsets.assign(counts.size() + 1, 0);
  for (std::size_t g = 0; g < counts.size(); ++g) {
    groups.offsets[g + 1] = groups.offsets[g] + counts[g];
  }
  std::vector<std::size_t> next(groups.offsets.begin(), groups.offsets.end() - 1);
  groups.positions.resize(ratings.size());
  for (std::size_t i = 0; i < ratings.size(); ++i) {
    groups.positions[next[group[i]]++] = i;
  }
  return groups;
}

// Builds a split from per-rating test flags, keeping the input order in both parts.
Split assemble(std::string name, const std::vector<Rating>& ratings,
               const std::vector<bool>& in_test) {
  Split split;
  split.name = std::move(name);
  for (std::size_t i = 0; i < ratings.size(); ++i) {
    (in_test[i] ? split.test : split.train).push_back(ratings[i]);
  }
  return split;
}

// Holds out round(fraction * n) of each user's n ratings, at most n - 1, choosing those with
// the smallest hash of (seed, user, movie), so the choice does not depend on the file order.
Split holdout_random(std::string name, const std::vector<Rating>& ratings, double fraction,
                     std::uint64_t seed) {
  if (!(fraction > 0.0 && fraction < 1.0)) {
    throw Error(
        fmt::format("invalid test fraction {}: expected a number between 0 and 1, "
                    "such as 0.2",
                    fraction));
  }

  UserGroups groups = group_by_user(ratings);
  std::vector<bool> in_test(ratings.size(), false);
  std::uint64_t seed_key = mix64(seed);
  std::vector<std::pair<std::uint64_t, std::size_t>> keyed;
  for (std::size_t g = 0; g + 1 < groups.offsets.size(); ++g) {
    keyed.clear();
    for (std::size_t k = groups.offsets[g]; k < groups.offsets[g + 1]; ++k) {
      const Rating& rating = ratings[groups.positions[k]];
      std::uint64_t key = mix64(mix64(seed_key ^ static_cast<std::uint64_t>(rating.user_id)) ^
                                static_cast<std::uint64_t>(rating.movie_id));
      keyed.emplace_back(key, groups.positions[k]);
    }
    std::sort(keyed.begin(), keyed.end());

    auto count =
        static_cast<std::size_t>(std::llround(fraction * static_cast<double>(keyed.size())));
    count = std::min(count, keyed.size() - 1);
    for (std::size_t k = 0; k < count; ++k) {
      in_test[keyed[k].second] = true;
    }
  }
  return assemble(std::move(name), ratings, in_test);
}

// Holds out each user's `holdout` latest ratings (at most n - 1), ties broken by movie id.
Split holdout_latest(const std::vector<Rating>& ratings, int holdout) {
  if (holdout < 1) {
    throw Error(fmt::format("invalid holdout {}: expected at least 1 rating per user", holdout));
  }

  UserGroups groups = group_by_user(ratings);
  std::vector<bool> in_test(ratings.size(), false);
  std::vector<std::size_t> order;
  for (std::size_t g = 0; g + 1 < groups.offsets.size(); ++g) {
    order.assign(groups.positions.begin() + static_cast<std::ptrdiff_t>(groups.offsets[g]),
                 groups.positions.begin() + static_cast<std::ptrdiff_t>(groups.offsets[g + 1]));
    std::sort(order.begin(), order.end(), [&ratings](std::size_t a, std::size_t b) {
      return std::tie(ratings[a].timestamp, ratings[a].movie_id) <
             std::tie(ratings[b].timestamp, ratings[b].movie_id);
    });

    std::size_t count = std::min(static_cast<std::size_t>(holdout), order.size() - 1);
    for (std::size_t k = order.size() - count; k < order.size(); ++k) {
      in_test[order[k]] = true;
    }
  }
  return assemble("temporal", ratings, in_test);
}

// Throws when a (user, movie) pair is both in the training and in the test file, which would
// let the model see test ratings.
void check_disjoint(const Split& split, const std::string& base, const std::string& test) {
  std::set<std::pair<std::int64_t, std::int64_t>> trained;
  for (const Rating& rating : split.train) {
    trained.emplace(rating.user_id, rating.movie_id);
  }
  for (const Rating& rating : split.test) {
    if (trained.count({rating.user_id, rating.movie_id}) != 0) {
      throw Error(
          fmt::format("{} repeats the rating of movie {} by user {} from {}, so the "
                      "model would train on a test rating: restore the original "
                      "ML-100k files",
                      test, rating.movie_id, rating.user_id, base));
    }
  }
}

// Reads the official ML-100k split files NAME.base and NAME.test from the dataset's source.
Split read_official_split(const Dataset& dataset, const std::string& name,
                          InvalidLinePolicy policy) {
  DataSource source(dataset.source);
  std::string base = name + ".base";
  std::string test = name + ".test";
  for (const std::string& file : {base, test}) {
    if (source.contains(file)) {
      continue;
    }
    // A directory or other non-regular entry by that name is named as such, not as missing.
    std::error_code error;
    if (std::filesystem::exists(source.describe(file), error)) {
      throw Error(
          fmt::format("{} is not a regular file; the {} split reads {} and {} as files: "
                      "replace it with the file from the ML-100k release",
                      source.describe(file), name, base, test));
    }
    throw Error(
        fmt::format("the {} split needs the files {} and {}, and {} has no {} "
                    "(only ML-100k ships them); use the random or temporal split",
                    name, base, test, dataset.source.string(), file));
  }

  IdSet movies;
  for (const Movie& movie : dataset.movies) {
    movies.insert(movie.id);
  }
  IdSet users;
  for (const User& user : dataset.users) {
    users.insert(user.id);
  }
  RatingRules rules = rating_rules_for(dataset, movies, dataset.users.empty() ? nullptr : &users);

  LoadContext context{source, dataset.name, policy, {}};
  Split split;
  split.name = name;
  split.train = read_ratings_file(context, base, {"\t", ""}, rules);
  split.test = read_ratings_file(context, test, {"\t", ""}, rules);
  check_disjoint(split, base, test);
  return split;
}

}  // namespace

Split make_split(const Dataset& dataset, const SplitOptions& options) {
  Split split;
  if (std::find(kOfficialSplits.begin(), kOfficialSplits.end(), options.method) !=
      kOfficialSplits.end()) {
    split = read_official_split(dataset, options.method, options.invalid_lines);
  } else if (options.method == "random") {
    split = holdout_random("random", dataset.ratings, options.test_fraction, options.seed);
  } else if (options.method == "temporal") {
    split = holdout_latest(dataset.ratings, options.holdout);
  } else {
    throw Error(
        fmt::format("unknown split method \"{}\"; expected u1, u2, u3, u4, u5, ua, ub, "
                    "random or temporal",
                    options.method));
  }
  spdlog::info("split {} of {}: {} training and {} test ratings", split.name, dataset.name,
               split.train.size(), split.test.size());
  return split;
}

Split carve_validation(const std::vector<Rating>& train, double fraction, std::uint64_t seed) {
  return holdout_random("validation", train, fraction, seed ^ kValidationSalt);
}

}  // namespace recsys
