#pragma once

#include <filesystem>

namespace recsys::testing {

// The root of the source tree this test program was built from.
inline const std::filesystem::path kSourceDir(RECSYS_SOURCE_DIR);

}  // namespace recsys::testing
