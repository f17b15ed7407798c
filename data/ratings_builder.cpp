#include "data/ratings_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <tuple>

#include "data/fields.hpp"

namespace recsys {

namespace {

constexpr std::int64_t kDenseIdLimit = std::int64_t{1} << 26;

}  // namespace

bool IdSet::insert(std::int64_t id) {
  if (id >= 0 && id < kDenseIdLimit) {
    auto slot = static_cast<std::size_t>(id);
    if (slot >= dense_.size()) {
      dense_.resize(std::max(slot + 1, dense_.size() * 2));
    }
    if (dense_[slot]) {
      return false;
    }
    dense_[slot] = true;
    ++size_;
    return true;
  }
  bool inserted = sparse_.insert(id).second;
  size_ += inserted ? 1 : 0;
  return inserted;
}

bool IdSet::contains(std::int64_t id) const {
  if (id >= 0 && id < kDenseIdLimit) {
    auto slot = static_cast<std::size_t>(id);
    return slot < dense_.size() && dense_[slot];
  }
  return sparse_.contains(id);
}

bool is_on_scale(float rating, const RatingScale& scale) {
  constexpr float kTolerance = 1e-4F;
  if (!(rating >= scale.min - kTolerance && rating <= scale.max + kTolerance)) {
    return false;
  }
  float steps = (rating - scale.min) / scale.step;
  return std::fabs(steps - std::round(steps)) < kTolerance;
}

std::string describe_scale(const RatingScale& scale) {
  if (scale.step == 1.0F) {
    return fmt::format("whole stars from {} to {}", scale.min, scale.max);
  }
  if (scale.step == 0.5F) {
    return fmt::format("half stars from {} to {}", scale.min, scale.max);
  }
  return fmt::format("steps of {} from {} to {}", scale.step, scale.min, scale.max);
}

void RatingsBuilder::add(long line_number, const Rating& rating, std::string_view rating_text) {
  if (!rules_.movies->contains(rating.movie_id)) {
    invalid_.report(line_number,
                    fmt::format("movie id {} is not in {}", rating.movie_id, rules_.movie_file));
    return;
  }
  if (rules_.users != nullptr && !rules_.users->contains(rating.user_id)) {
    invalid_.report(line_number,
                    fmt::format("user id {} is not in {}", rating.user_id, rules_.user_file));
    return;
  }
  if (!is_on_scale(rating.rating, rules_.scale)) {
    invalid_.report(line_number,
                    fmt::format("rating {} is outside the {} scale ({})", quote_value(rating_text),
                                rules_.release, describe_scale(rules_.scale)));
    return;
  }

  // Files sorted by (user, movie), as the CSV releases are, show duplicates as neighbours.
  if (!ratings_.empty()) {
    const Rating& previous = ratings_.back();
    auto key = std::tie(rating.user_id, rating.movie_id);
    auto previous_key = std::tie(previous.user_id, previous.movie_id);
    if (key == previous_key) {
      invalid_.report(line_number,
                      fmt::format("user {} rated movie {} again (first on line {})", rating.user_id,
                                  rating.movie_id, line_of(ratings_.size() - 1)));
      return;
    }
    sorted_ = sorted_ && previous_key < key;
  }

  if (ratings_.empty() || line_number != last_line_ + 1) {
    line_anchors_.emplace_back(ratings_.size(), line_number);
  }
  last_line_ = line_number;
  ratings_.push_back(rating);
}

long RatingsBuilder::line_of(std::size_t index) const {
  auto anchor = std::upper_bound(
      line_anchors_.begin(), line_anchors_.end(), index,
      [](std::size_t value, const std::pair<std::size_t, long>& a) { return value < a.first; });
  --anchor;
  return anchor->second + static_cast<long>(index - anchor->first);
}

// Returns whether two ratings share a (user, movie) pair. It sorts packed 64-bit keys, which is
// several times faster than sorting positions, so ids above 2^32 defer to the exact check.
bool has_repeated_pair(const std::vector<Rating>& ratings) {
  std::vector<std::uint64_t> keys;
  keys.reserve(ratings.size());
  for (const Rating& rating : ratings) {
    if (rating.user_id > UINT32_MAX || rating.movie_id > UINT32_MAX) {
      return true;  // Let the exact check decide.
    }
    keys.push_back(static_cast<std::uint64_t>(rating.user_id) << 32 |
                   static_cast<std::uint64_t>(rating.movie_id));
  }
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

std::vector<Rating> RatingsBuilder::finish() {
  if (sorted_ || !has_repeated_pair(ratings_)) {
    return std::move(ratings_);
  }

  // Sort positions by (user, movie, position): within a group, all but the first are repeats.
  std::vector<std::size_t> order(ratings_.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
    const Rating& x = ratings_[a];
    const Rating& y = ratings_[b];
    return std::tie(x.user_id, x.movie_id, a) < std::tie(y.user_id, y.movie_id, b);
  });

  std::vector<std::pair<std::size_t, std::size_t>> repeats;  // (repeat, first occurrence).
  std::size_t group_start = 0;
  for (std::size_t k = 1; k < order.size(); ++k) {
    const Rating& first = ratings_[order[group_start]];
    const Rating& current = ratings_[order[k]];
    if (current.user_id == first.user_id && current.movie_id == first.movie_id) {
      repeats.emplace_back(order[k], order[group_start]);
    } else {
      group_start = k;
    }
  }
  if (repeats.empty()) {
    return std::move(ratings_);
  }

  std::sort(repeats.begin(), repeats.end());
  std::vector<bool> dropped(ratings_.size(), false);
  for (const auto& [repeat, first] : repeats) {
    const Rating& rating = ratings_[repeat];
    invalid_.report(line_of(repeat), fmt::format("user {} rated movie {} again (first on line {})",
                                                 rating.user_id, rating.movie_id, line_of(first)));
    dropped[repeat] = true;
  }

  std::vector<Rating> unique_ratings;
  unique_ratings.reserve(ratings_.size() - repeats.size());
  for (std::size_t i = 0; i < ratings_.size(); ++i) {
    if (!dropped[i]) {
      unique_ratings.push_back(ratings_[i]);
    }
  }
  return unique_ratings;
}

}  // namespace recsys
