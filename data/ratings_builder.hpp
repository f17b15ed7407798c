#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "data/dataset.hpp"
#include "data/invalid_lines.hpp"

namespace recsys {

// A set of ids: a bitmap for ids below 2^26 (MovieLens ids stay below 10^6), a hash set above.
class IdSet {
 public:
  // Adds `id`; returns false when it was already present.
  bool insert(std::int64_t id);
  bool contains(std::int64_t id) const;
  std::size_t size() const { return size_; }

 private:
  std::vector<bool> dense_;
  std::unordered_set<std::int64_t> sparse_;
  std::size_t size_ = 0;
};

// What a rating line must satisfy beyond its syntax.
struct RatingRules {
  std::string release;  // For messages, such as "ml-100k".
  RatingScale scale;
  const IdSet* movies = nullptr;  // Ratings of other movies are invalid.
  std::string movie_file;         // Such as "u.item", for messages.
  const IdSet* users = nullptr;   // Null when the release has no user file.
  std::string user_file;
};

// Returns whether `rating` is one of the scale's values.
bool is_on_scale(float rating, const RatingScale& scale);

// Describes a scale for messages, such as "whole stars from 1 to 5".
std::string describe_scale(const RatingScale& scale);

// Collects the ratings of one file, checking ids, scale and duplicate (user, movie) pairs.
class RatingsBuilder {
 public:
  RatingsBuilder(RatingRules rules, InvalidLines& invalid)
      : rules_(std::move(rules)), invalid_(invalid) {}

  void reserve(std::size_t count) { ratings_.reserve(count); }

  // Validates a rating read from line `line_number` and keeps it when valid.
  void add(long line_number, const Rating& rating, std::string_view rating_text);

  // Checks for duplicate pairs the streaming check could not see and returns the ratings in
  // file order.
  std::vector<Rating> finish();

 private:
  long line_of(std::size_t index) const;

  RatingRules rules_;
  InvalidLines& invalid_;
  std::vector<Rating> ratings_;
  // (index of a rating, its line) wherever the line numbers jump, to map ratings to lines.
  std::vector<std::pair<std::size_t, long>> line_anchors_;
  long last_line_ = -1;
  bool sorted_ = true;  // Whether (user, movie) pairs have been strictly increasing so far.
};

}  // namespace recsys
