#pragma once

#include <nlohmann/json.hpp>

#include "inference/router.hpp"

namespace recsys::inference {

// Builds the OpenAPI 3.0 description of every route in `router`: parameters, request bodies,
// responses and their schemas. Throws recsys::Error for a route that has no description, so
// that a new endpoint cannot ship undocumented.
nlohmann::json openapi_document(const Router& router);

}  // namespace recsys::inference
