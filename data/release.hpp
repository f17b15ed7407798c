#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.hpp"
#include "data/line_reader.hpp"
#include "data/loader.hpp"
#include "data/ratings_builder.hpp"
#include "data/source.hpp"

namespace recsys {

// The state of one load: the source, the policy and the SHA-256 of every content file read.
struct LoadContext {
  const DataSource& source;
  std::string release;  // The release name, such as "ml-25m", for the CSV family.
  InvalidLinePolicy invalid_lines = InvalidLinePolicy::kReject;
  std::map<std::string, std::string> file_sha256;  // Content file name -> SHA-256 hex.
};

// Reads a file to its end and records its SHA-256 in the context.
void finish_file(LoadContext& context, LineReader& reader);

// The layout of a ratings file: "user SEP movie SEP rating SEP timestamp" on every line, after
// `header` when the file has one.
struct RatingsFileFormat {
  std::string_view separator;
  std::string_view header;  // Empty for files without a header line.
};

// Reads a ratings file (u.data, ratings.dat, ratings.csv, u1.base, ...).
std::vector<Rating> read_ratings_file(LoadContext& context, const std::string& name,
                                      const RatingsFileFormat& format, const RatingRules& rules);

// Requires the first line of a CSV file to be `header`; throws recsys::InputError otherwise.
void expect_header(LineReader& reader, std::string_view header);

// One reader per release format; each adds the content files it read to the context.
Dataset load_ml100k(LoadContext& context);
Dataset load_ml1m(LoadContext& context);
Dataset load_movielens_csv(LoadContext& context);

// The rules for ratings of a loaded dataset, such as the official split files.
RatingRules rating_rules_for(const Dataset& dataset, const IdSet& movies, const IdSet* users);

}  // namespace recsys
