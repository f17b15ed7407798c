#pragma once

#include <cstdint>
#include <string>

namespace recsys::tracking {

// 32 lowercase hex digits of a random (version 4) UUID, the form of MLflow's run ids.
std::string random_uuid_hex();

// An 18-digit decimal id without a leading zero, the form of the experiment ids that MLflow's
// file store generates (mlflow/utils/name_utils.py).
std::string random_experiment_id();

// Lowercase hex MD5 of the concatenated parts. MLflow's file store names data set and input
// directories this way.
std::string md5_hex(const std::string& first, const std::string& second);

// The number of a registered model version ("3"). Throws recsys::Error naming the value and
// `where` it came from (a file or a server) when it is not a positive decimal integer.
long version_number(const std::string& version, const std::string& where);

// Milliseconds since the Unix epoch.
std::int64_t now_milliseconds();

// "2024-05-01 12:34:56.789012", the form of Python's str(datetime.utcnow()) used in MLmodel.
std::string utc_time_python_string();

// "20240501-123456", for run names.
std::string utc_time_compact_string();

}  // namespace recsys::tracking
