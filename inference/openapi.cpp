#include "inference/openapi.hpp"

#include <map>
#include <utility>

#include "core/error.hpp"
#include "inference/request_parameters.hpp"
#include "recsys/version.hpp"

namespace recsys::inference {

namespace {

using nlohmann::json;

json reference(const std::string& schema) {
  return {{"$ref", "#/components/schemas/" + schema}};
}

json json_response(const std::string& description, const std::string& schema) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", reference(schema)}}}}}};
}

json error_response(const std::string& description) {
  return json_response(description, "Error");
}

json path_id(const std::string& name, const std::string& description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", {{"type", "integer"}, {"format", "int64"}}}};
}

json query_parameter(const std::string& name, const std::string& description, json schema) {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"description", description},
          {"schema", std::move(schema)}};
}

json filter_parameters(bool include_rated) {
  json parameters = json::array({
      query_parameter("k", "Number of movies to return.",
                      {{"type", "integer"},
                       {"minimum", 1},
                       {"maximum", kMaxResultsPerRequest},
                       {"default", kDefaultResults}}),
      query_parameter("genre", "Only movies of this genre (case-insensitive), e.g. Comedy.",
                      {{"type", "string"}}),
      query_parameter("year_from", "Only movies released in or after this year.",
                      {{"type", "integer"}, {"minimum", kMinYear}, {"maximum", kMaxYear}}),
      query_parameter("year_to", "Only movies released in or before this year.",
                      {{"type", "integer"}, {"minimum", kMinYear}, {"maximum", kMaxYear}}),
  });
  if (include_rated) {
    parameters.push_back(query_parameter("include_rated",
                                         "Also return movies the user rated in training.",
                                         {{"type", "boolean"}, {"default", false}}));
  }
  return parameters;
}

json common_errors(json responses) {
  responses["503"] = error_response("The database is unavailable or no model is loaded.");
  return responses;
}

// The operation of every route, keyed by "METHOD /template".
std::map<std::string, json> operations() {
  std::map<std::string, json> operations;

  operations["GET /recommendations/{user_id}"] = {
      {"operationId", "recommendForUser"},
      {"parameters",
       [] {
         json parameters = filter_parameters(true);
         parameters.insert(parameters.begin(), path_id("user_id", "MovieLens user id."));
         return parameters;
       }()},
      {"responses",
       common_errors({{"200", json_response("Movies, best first.", "UserRecommendations")},
                      {"400", error_response("A malformed id or query parameter.")},
                      {"404", error_response("The model has no such user.")},
                      {"422", error_response("k, genre or a year out of range.")}})}};

  operations["POST /recommendations"] = {
      {"operationId", "recommendForNewUser"},
      {"requestBody",
       {{"required", true},
        {"content", {{"application/json", {{"schema", reference("NewUserRequest")}}}}}}},
      {"responses",
       common_errors(
           {{"200", json_response("Movies, best first, without the rated ones.",
                                  "NewUserRecommendations")},
            {"400", error_response("Malformed JSON, a wrong type or an unknown field.")},
            {"408", error_response("The body did not arrive within the request timeout.")},
            {"413", error_response("The body exceeds the size limit.")},
            {"422", error_response("No ratings, a rating out of range, a movie rated twice, or "
                                   "no rated movie known to the model.")}})}};

  operations["GET /movies/{movie_id}"] = {
      {"operationId", "getMovie"},
      {"parameters", json::array({path_id("movie_id", "MovieLens movie id.")})},
      {"responses", common_errors({{"200", json_response("The movie.", "Movie")},
                                   {"400", error_response("A malformed id.")},
                                   {"404", error_response("The catalog has no such movie.")}})}};

  operations["GET /movies/{movie_id}/similar"] = {
      {"operationId", "similarMovies"},
      {"parameters",
       [] {
         json parameters = filter_parameters(false);
         parameters.insert(parameters.begin(), path_id("movie_id", "MovieLens movie id."));
         return parameters;
       }()},
      {"responses",
       common_errors(
           {{"200", json_response("Movies by inner product of the embeddings.", "SimilarMovies")},
            {"400", error_response("A malformed id or query parameter.")},
            {"404", error_response("No such movie, or it has no embedding.")},
            {"422", error_response("k, genre or a year out of range.")}})}};

  operations["GET /healthz"] = {
      {"operationId", "health"},
      {"responses", {{"200", json_response("The process answers.", "Status")}}}};

  operations["GET /readyz"] = {
      {"operationId", "readiness"},
      {"responses",
       {{"200", json_response("The database answers and a model is loaded.", "Status")},
        {"503", error_response("Not ready; the message says why.")}}}};

  operations["GET /model"] = {
      {"operationId", "servedModel"},
      {"responses",
       common_errors({{"200", json_response("The served model version.", "ServedModel")}})}};

  operations["GET /metrics"] = {
      {"operationId", "metrics"},
      {"responses",
       {{"200",
         {{"description", "Prometheus text exposition format 0.0.4."},
          {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}}}};

  operations["POST /admin/reload"] = {
      {"operationId", "reloadModel"},
      {"responses",
       common_errors({{"200", json_response("The check ran; outcome says whether a new "
                                            "version was loaded.",
                                            "ReloadResult")}})}};

  operations["GET /openapi.json"] = {
      {"operationId", "openapi"},
      {"responses",
       {{"200",
         {{"description", "This document."},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}}}};
  return operations;
}

json schemas() {
  json nullable_year = {{"type", "integer"}, {"nullable", true}};
  json model = {
      {"type", "object"},
      {"required", {"name", "version"}},
      {"properties", {{"name", {{"type", "string"}}}, {"version", {{"type", "string"}}}}}};
  json item = {{"type", "object"},
               {"required", {"movie_id", "title", "year", "genres", "score"}},
               {"properties",
                {{"movie_id", {{"type", "integer"}, {"format", "int64"}}},
                 {"title", {{"type", "string"}}},
                 {"year", nullable_year},
                 {"genres", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                 {"score", {{"type", "number"}}}}}};
  json items = {{"type", "array"}, {"items", reference("Item")}};

  return {
      {"Error",
       {{"type", "object"},
        {"required", {"error"}},
        {"properties",
         {{"error",
           {{"type", "object"},
            {"required", {"code", "message"}},
            {"properties",
             {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}},
      {"ModelReference", model},
      {"Item", item},
      {"UserRecommendations",
       {{"type", "object"},
        {"required", {"user_id", "model", "items"}},
        {"properties",
         {{"user_id", {{"type", "integer"}, {"format", "int64"}}},
          {"model", reference("ModelReference")},
          {"items", items}}}}},
      {"NewUserRequest",
       {{"type", "object"},
        {"required", {"ratings"}},
        {"additionalProperties", false},
        {"properties",
         {{"ratings",
           {{"type", "array"},
            {"minItems", 1},
            {"items",
             {{"type", "object"},
              {"required", {"movie_id", "rating"}},
              {"additionalProperties", false},
              {"properties",
               {{"movie_id", {{"type", "integer"}, {"format", "int64"}}},
                {"rating",
                 {{"type", "number"}, {"minimum", kMinRating}, {"maximum", kMaxRating}}}}}}}}},
          {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxResultsPerRequest}}},
          {"genre", {{"type", "string"}}},
          {"year_from", {{"type", "integer"}, {"minimum", kMinYear}, {"maximum", kMaxYear}}},
          {"year_to", {{"type", "integer"}, {"minimum", kMinYear}, {"maximum", kMaxYear}}}}}}},
      {"NewUserRecommendations",
       {{"type", "object"},
        {"required", {"model", "items", "ignored_movie_ids"}},
        {"properties",
         {{"model", reference("ModelReference")},
          {"items", items},
          {"ignored_movie_ids",
           {{"type", "array"},
            {"description", "Rated movies without an embedding in the model, left out."},
            {"items", {{"type", "integer"}, {"format", "int64"}}}}}}}}},
      {"SimilarMovies",
       {{"type", "object"},
        {"required", {"movie_id", "model", "items"}},
        {"properties",
         {{"movie_id", {{"type", "integer"}, {"format", "int64"}}},
          {"model", reference("ModelReference")},
          {"items", items}}}}},
      {"Movie",
       {{"type", "object"},
        {"required", {"movie_id", "title", "year", "genres", "imdb_url", "has_embedding"}},
        {"properties",
         {{"movie_id", {{"type", "integer"}, {"format", "int64"}}},
          {"title", {{"type", "string"}}},
          {"year", nullable_year},
          {"genres", {{"type", "array"}, {"items", {{"type", "string"}}}}},
          {"imdb_url", {{"type", "string"}}},
          {"has_embedding", {{"type", "boolean"}}}}}}},
      {"Status", {{"type", "object"}, {"properties", {{"status", {{"type", "string"}}}}}}},
      {"ServedModel",
       {{"type", "object"},
        {"required", {"name", "version", "run_id", "model_type", "metrics", "published_at"}},
        {"properties",
         {{"name", {{"type", "string"}}},
          {"version", {{"type", "string"}}},
          {"run_id", {{"type", "string"}}},
          {"model_type", {{"type", "string"}, {"enum", {"als", "mf", "popularity"}}}},
          {"dimension", {{"type", "integer"}}},
          {"hyperparameters", {{"type", "object"}}},
          {"metrics", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
          {"dataset", {{"type", "string"}}},
          {"publication_id", {{"type", "integer"}}},
          {"published_at", {{"type", "string"}, {"format", "date-time"}}},
          {"loaded_at", {{"type", "string"}, {"format", "date-time"}}},
          {"mean_rating",
           {{"type", "number"},
            {"nullable", true},
            {"description", "mf: the mean training rating the fold-in of new users uses."}}},
          {"mean_rating_source",
           {{"type", "string"},
            {"nullable", true},
            {"enum", json::array({"model", "metrics", "estimated", nullptr})},
            {"description",
             "mf: where mean_rating comes from; estimated means the model did not record it."}}},
          {"movies_with_embedding", {{"type", "integer"}}},
          {"champion", {{"type", "object"}, {"nullable", true}}},
          {"service_version", {{"type", "string"}}}}}}},
      {"ReloadResult",
       {{"type", "object"},
        {"required", {"outcome", "model"}},
        {"properties",
         {{"outcome", {{"type", "string"}, {"enum", {"loaded", "unchanged", "nothing_published"}}}},
          {"model",
           {{"allOf", json::array({reference("ModelReference")})}, {"nullable", true}}}}}}}};
}

std::string lower(std::string text) {
  for (auto& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

}  // namespace

nlohmann::json openapi_document(const Router& router) {
  auto known = operations();
  json paths = json::object();
  for (const auto& route : router.routes()) {
    auto key = route.method + " " + route.path_template;
    auto found = known.find(key);
    if (found == known.end()) {
      throw Error("the OpenAPI description has no operation for " + key +
                  ": add it to inference/openapi.cpp");
    }
    json operation = found->second;
    operation["summary"] = route.summary;
    paths[route.path_template][lower(route.method)] = std::move(operation);
  }

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "recsys recommendation service"},
            {"version", kVersion},
            {"description",
             "Movie recommendations from the model version published in PostgreSQL with "
             "pgvector. Every error is {\"error\": {\"code\", \"message\"}}."}}},
          {"paths", paths},
          {"components", {{"schemas", schemas()}}}};
}

}  // namespace recsys::inference
