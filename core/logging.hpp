#pragma once

#include <string>

namespace recsys {

// Configures spdlog's default logger to write to stderr at `level` ("trace", "debug", "info",
// "warn", "error", "off"). Throws recsys::Error for an unknown level.
void configure_logging(const std::string& level);

}  // namespace recsys
