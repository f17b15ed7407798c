#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "service_environment.hpp"
#include "service_process.hpp"
#include "test_models.hpp"

namespace recsys::testing {
namespace {

using nlohmann::json;

// The service on the synthetic ALS model, published as version "1", shared by the suite.
class ServiceApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto& environment = ServiceEnvironment::get();
    environment.publish(environment.model_directory("als"), "1");
    service_ = new ServiceProcess({}, "api.log");
    ASSERT_TRUE(service_->wait_ready()) << service_->log();
  }

  static void TearDownTestSuite() {
    delete service_;
    service_ = nullptr;
  }

  static httplib::Result get(const std::string& path) { return service_->client()->Get(path); }

  static httplib::Result post(const std::string& path, const std::string& body) {
    return service_->client()->Post(path, body, "application/json");
  }

  // Parses a JSON body, failing the test when it is not JSON.
  static json body_of(const httplib::Result& result) {
    EXPECT_TRUE(result) << "no response";
    if (!result) {
      return json();
    }
    try {
      return json::parse(result->body);
    } catch (const json::exception& error) {
      ADD_FAILURE() << "not JSON: " << result->body;
      return json();
    }
  }

  // Checks the status and the {"error": {"code", "message"}} shape of an error response.
  static void expect_error(const httplib::Result& result, int status, const std::string& code) {
    ASSERT_TRUE(result) << "no response";
    EXPECT_EQ(result->status, status) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    auto body = body_of(result);
    ASSERT_TRUE(body.contains("error")) << result->body;
    EXPECT_EQ(body["error"]["code"], code) << result->body;
    EXPECT_TRUE(body["error"]["message"].is_string());
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }

  static std::set<std::int64_t> rated_by(std::int64_t user_id) {
    std::set<std::int64_t> rated;
    for (const auto& [movie_id, rating] :
         ratings_of(ServiceEnvironment::get().dataset().ratings, user_id)) {
      rated.insert(movie_id);
    }
    return rated;
  }

  static ServiceProcess* service_;
};

ServiceProcess* ServiceApi::service_ = nullptr;

TEST_F(ServiceApi, RecommendsBestFirstWithoutRatedMovies) {
  auto result = get("/recommendations/1?k=5");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto body = body_of(result);
  EXPECT_EQ(body["user_id"], 1);
  EXPECT_EQ(body["model"]["name"], kModelName);
  EXPECT_EQ(body["model"]["version"], "1");
  ASSERT_EQ(body["items"].size(), 5U);

  auto rated = rated_by(1);
  double previous = 1e300;
  int same_group = 0;
  for (const auto& item : body["items"]) {
    for (const char* field : {"movie_id", "title", "year", "genres", "score"}) {
      EXPECT_TRUE(item.contains(field)) << field << " missing in " << item;
    }
    auto movie_id = item["movie_id"].get<std::int64_t>();
    EXPECT_FALSE(rated.contains(movie_id)) << "rated movie " << movie_id << " recommended";
    EXPECT_LE(item["score"].get<double>(), previous);
    previous = item["score"].get<double>();
    same_group += synthetic_group(movie_id) == synthetic_group(1) ? 1 : 0;
  }
  // User 1 rates its own group's movies highly, so the model recommends that group.
  EXPECT_GE(same_group, 4) << body;
}

TEST_F(ServiceApi, DefaultsToTenItems) {
  auto body = body_of(get("/recommendations/2"));
  EXPECT_EQ(body["items"].size(), 10U);
}

TEST_F(ServiceApi, IncludeRatedReturnsRatedMovies) {
  auto rated = rated_by(4);
  auto body = body_of(get("/recommendations/4?k=20&include_rated=true"));
  ASSERT_EQ(body["items"].size(), 20U);
  int rated_count = 0;
  for (const auto& item : body["items"]) {
    rated_count += rated.contains(item["movie_id"].get<std::int64_t>()) ? 1 : 0;
  }
  EXPECT_GT(rated_count, 0) << body;
}

TEST_F(ServiceApi, FiltersByGenreAndYears) {
  auto body = body_of(get("/recommendations/5?k=8&genre=comedy&year_from=1975&year_to=1990"));
  ASSERT_FALSE(body["items"].empty()) << body;
  for (const auto& item : body["items"]) {
    auto genres = item["genres"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(genres.begin(), genres.end(), "Comedy"), genres.end()) << item;
    ASSERT_TRUE(item["year"].is_number()) << item;
    EXPECT_GE(item["year"].get<int>(), 1975);
    EXPECT_LE(item["year"].get<int>(), 1990);
  }
}

TEST_F(ServiceApi, UnknownUsersAreNotFound) {
  expect_error(get("/recommendations/100000"), 404, "not_found");
  expect_error(get("/recommendations/-1"), 404, "not_found");
  expect_error(get("/recommendations/0"), 404, "not_found");
  expect_error(get("/recommendations/9223372036854775807"), 404, "not_found");
  expect_error(get("/recommendations/99999999999999999999999999999"), 404, "not_found");
}

TEST_F(ServiceApi, MalformedIdsAreBadRequests) {
  expect_error(get("/recommendations/abc"), 400, "bad_request");
  expect_error(get("/recommendations/1.5"), 400, "bad_request");
  expect_error(get("/recommendations/1%20OR%201=1"), 400, "bad_request");
  expect_error(get("/recommendations/1;DROP%20TABLE%20publications"), 400, "bad_request");
  expect_error(get("/movies/%27%3B--"), 400, "bad_request");
}

TEST_F(ServiceApi, InvalidQueryValuesAreRejected) {
  expect_error(get("/recommendations/1?k=0"), 422, "invalid_value");
  expect_error(get("/recommendations/1?k=101"), 422, "invalid_value");
  expect_error(get("/recommendations/1?k=-5"), 422, "invalid_value");
  expect_error(get("/recommendations/1?k=ten"), 400, "bad_request");
  expect_error(get("/recommendations/1?genre=Western"), 422, "invalid_value");
  expect_error(get("/recommendations/1?year_from=1995&year_to=1990"), 422, "invalid_value");
  expect_error(get("/recommendations/1?year_from=abc"), 400, "bad_request");
  expect_error(get("/recommendations/1?include_rated=maybe"), 400, "bad_request");
  expect_error(get("/recommendations/1?colour=blue"), 400, "bad_request");
  expect_error(get("/recommendations/1?k=5&k=6"), 400, "bad_request");
}

TEST_F(ServiceApi, SqlInjectionInFiltersIsRejected) {
  expect_error(get("/recommendations/1?genre=Comedy%27%20OR%20%271%27%3D%271"), 422,
               "invalid_value");
  expect_error(get("/recommendations/1?genre=%27%3B%20DROP%20TABLE%20publications%3B%20--"), 422,
               "invalid_value");
  expect_error(get("/recommendations/1?year_from=1990%20OR%201%3D1"), 400, "bad_request");
  expect_error(get("/movies/1/similar?k=5%3BSELECT%20pg_sleep(10)"), 400, "bad_request");

  // The database is intact: the recommendation query on the publications still works.
  auto result = get("/recommendations/1?k=3");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(ServiceApi, FoldInOverlapsTheKnownUser) {
  // A new person with exactly user 7's ratings should get recommendations like user 7's.
  const std::int64_t user_id = 7;
  json ratings = json::array();
  std::set<std::int64_t> sent;
  for (const auto& [movie_id, rating] :
       ratings_of(ServiceEnvironment::get().dataset().ratings, user_id)) {
    ratings.push_back({{"movie_id", movie_id}, {"rating", rating}});
    sent.insert(movie_id);
  }
  auto result = post("/recommendations", json{{"ratings", ratings}, {"k", 10}}.dump());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto folded = body_of(result);
  EXPECT_EQ(folded["model"]["version"], "1");
  EXPECT_TRUE(folded["ignored_movie_ids"].empty());
  ASSERT_EQ(folded["items"].size(), 10U);

  auto known = body_of(get("/recommendations/" + std::to_string(user_id) + "?k=10"));
  std::set<std::int64_t> known_ids;
  for (const auto& item : known["items"]) {
    known_ids.insert(item["movie_id"].get<std::int64_t>());
  }
  int overlap = 0;
  for (const auto& item : folded["items"]) {
    auto movie_id = item["movie_id"].get<std::int64_t>();
    EXPECT_FALSE(sent.contains(movie_id)) << "a rated movie came back: " << movie_id;
    overlap += known_ids.contains(movie_id) ? 1 : 0;
  }
  EXPECT_GE(overlap, 7) << "fold-in: " << folded << "\nknown user: " << known;
}

TEST_F(ServiceApi, FoldInAppliesFiltersAndReportsUnknownMovies) {
  auto result = post("/recommendations", R"({"ratings": [{"movie_id": 1, "rating": 5},
      {"movie_id": 4, "rating": 4}, {"movie_id": 77777, "rating": 5}], "k": 3, "genre": "Action"})");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto body = body_of(result);
  EXPECT_EQ(body["ignored_movie_ids"], json::array({77777}));
  EXPECT_LE(body["items"].size(), 3U);
  for (const auto& item : body["items"]) {
    auto genres = item["genres"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(genres.begin(), genres.end(), "Action"), genres.end()) << item;
  }
}

TEST_F(ServiceApi, FoldInRejectsBadBodies) {
  expect_error(post("/recommendations", "{\"ratings\": ["), 400, "bad_request");
  expect_error(post("/recommendations", "not json at all"), 400, "bad_request");
  expect_error(post("/recommendations", ""), 400, "bad_request");
  expect_error(post("/recommendations",
                    "{\"ratings\": [{\"movie_id\": 1, \"rating\": 4}], "
                    "\"genre\": \"\xc3\x28\"}"),
               400, "bad_request");
  expect_error(post("/recommendations", R"({"ratings": [{"movie_id": "1", "rating": 4}]})"), 400,
               "bad_request");
  expect_error(post("/recommendations", R"({"ratings": []})"), 422, "invalid_value");
  expect_error(post("/recommendations", R"({"ratings": [{"movie_id": 1, "rating": 9}]})"), 422,
               "invalid_value");
  expect_error(post("/recommendations", R"({"ratings": [{"movie_id": 1, "rating": 4}], "k": 0})"),
               422, "invalid_value");
  expect_error(post("/recommendations", R"({"ratings": [{"movie_id": 55555, "rating": 4}]})"), 422,
               "invalid_value");
  expect_error(
      post("/recommendations",
           R"({"ratings": [{"movie_id": -4, "rating": 4}, {"movie_id": 1, "rating": 3}]})"),
      422, "invalid_value");
}

TEST_F(ServiceApi, OversizedBodyGets413) {
  std::string huge = R"({"ratings": [)";
  while (huge.size() < 200 * 1024) {
    huge += R"({"movie_id": 1, "rating": 4},)";
  }
  huge += R"({"movie_id": 2, "rating": 4}]})";
  expect_error(post("/recommendations", huge), 413, "payload_too_large");

  // The service still responds after rejecting it.
  auto result = get("/healthz");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(ServiceApi, OversizedHeadersAreRejected) {
  httplib::Headers headers;
  for (int i = 0; i < 40; ++i) {
    headers.emplace("X-Filler-" + std::to_string(i), std::string(1000, 'x'));
  }
  auto result = service_->client()->Get("/healthz", headers);
  expect_error(result, 431, "headers_too_large");

  auto long_target = "/recommendations/1?genre=" + std::string(9000, 'a');
  auto long_result = get(long_target);
  expect_error(long_result, 414, "uri_too_long");
}

TEST_F(ServiceApi, MovieLookup) {
  auto result = get("/movies/3");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto body = body_of(result);
  EXPECT_EQ(body["movie_id"], 3);
  EXPECT_EQ(body["title"], "Movie 3 (1973)");
  EXPECT_EQ(body["year"], 1973);
  EXPECT_TRUE(body["genres"].is_array());
  EXPECT_EQ(body["has_embedding"], true);

  auto no_year = body_of(get("/movies/120"));
  EXPECT_TRUE(no_year["year"].is_null()) << no_year;

  expect_error(get("/movies/424242"), 404, "not_found");
  expect_error(get("/movies/-7"), 404, "not_found");
  expect_error(get("/movies/x1"), 400, "bad_request");
  expect_error(get("/movies/3?k=2"), 400, "bad_request");
}

TEST_F(ServiceApi, SimilarMovies) {
  auto result = get("/movies/3/similar?k=6");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto body = body_of(result);
  EXPECT_EQ(body["movie_id"], 3);
  EXPECT_EQ(body["model"]["version"], "1");
  ASSERT_EQ(body["items"].size(), 6U);
  for (const auto& item : body["items"]) {
    EXPECT_NE(item["movie_id"], 3) << "the movie itself is not similar to itself";
  }

  expect_error(get("/movies/424242/similar"), 404, "not_found");
  expect_error(get("/movies/3/similar?k=1000"), 422, "invalid_value");
  expect_error(get("/movies/3/similar?include_rated=true"), 400, "bad_request");
}

TEST_F(ServiceApi, HealthReadinessAndModel) {
  auto health = get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(body_of(health)["status"], "ok");

  auto ready = get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(body_of(ready)["model"]["version"], "1");

  auto model = body_of(get("/model"));
  EXPECT_EQ(model["name"], kModelName);
  EXPECT_EQ(model["version"], "1");
  EXPECT_EQ(model["model_type"], "als");
  EXPECT_EQ(model["dimension"], 8);
  EXPECT_EQ(model["hyperparameters"]["factors"], 8);
  EXPECT_TRUE(model["metrics"].is_object());
  EXPECT_TRUE(model["run_id"].is_string());
  EXPECT_TRUE(std::regex_match(model["published_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << model["published_at"];
  EXPECT_TRUE(model["champion"].is_null());  // The registry lookup is off in these tests.
  EXPECT_TRUE(model["mean_rating"].is_null()) << "an implicit model has no mean rating";
  EXPECT_TRUE(model["mean_rating_source"].is_null());
}

TEST_F(ServiceApi, UnknownRoutesAndMethods) {
  expect_error(get("/nope"), 404, "not_found");
  expect_error(get("/recommendations"), 405, "method_not_allowed");
  expect_error(get("/recommendations/1/extra"), 404, "not_found");
  expect_error(service_->client()->Delete("/movies/1"), 405, "method_not_allowed");
  auto put = service_->client()->Put("/recommendations", "{}", "application/json");
  expect_error(put, 405, "method_not_allowed");
  EXPECT_EQ(put->get_header_value("Allow"), "POST");
}

// Sends `request` verbatim on a new connection and returns everything the server sends back
// until it closes the connection. The request should ask for "Connection: close".
std::string exchange_raw(int port, const std::string& request) {
  int socket_fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_fd < 0) {
    ADD_FAILURE() << "socket() failed";
    return "";
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::send(socket_fd, request.data(), request.size(), 0) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t received = 0;
    while ((received = ::recv(socket_fd, buffer, sizeof(buffer), 0)) > 0) {
      reply.append(buffer, static_cast<std::size_t>(received));
    }
  }
  ::close(socket_fd);
  return reply;
}

TEST_F(ServiceApi, PostWithoutBodyIsEmptyBody) {
  // curl -X POST sends neither Content-Length nor Transfer-Encoding.
  std::string reply =
      exchange_raw(service_->port(),
                   "POST /admin/reload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0U) << reply;
  EXPECT_NE(reply.find("\"outcome\""), std::string::npos) << reply;
}

TEST_F(ServiceApi, ChunkedBodyIsRejected) {
  std::string reply = exchange_raw(service_->port(),
                                   "POST /recommendations HTTP/1.1\r\nHost: localhost\r\n"
                                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                   "2\r\n{}\r\n0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 411", 0), 0U) << reply;
  EXPECT_NE(reply.find("length_required"), std::string::npos) << reply;
}

TEST_F(ServiceApi, MalformedHttpGetsJsonError) {
  httplib::Client raw("127.0.0.1", service_->port());
  // A request line with an unknown method is rejected by the HTTP parser itself.
  auto result = raw.send([] {
    httplib::Request request;
    request.method = "BREW";
    request.path = "/healthz";
    return request;
  }());
  expect_error(result, 400, "bad_request");
}

TEST_F(ServiceApi, AdminReloadReportsUnchanged) {
  auto result = post("/admin/reload", "");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  auto body = body_of(result);
  EXPECT_EQ(body["outcome"], "unchanged");
  EXPECT_EQ(body["model"]["version"], "1");
}

TEST_F(ServiceApi, OpenApiDescribesTheServedRoutes) {
  auto document = body_of(get("/openapi.json"));
  EXPECT_EQ(document["openapi"], "3.0.3");
  ASSERT_TRUE(document["paths"].is_object());

  std::set<std::string> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      documented.insert(method + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;

      // Every documented operation is served: an example request must not meet the
      // router's "no route" 404 or a 405.
      std::string concrete = std::regex_replace(path, std::regex(R"(\{[a-z_]+\})"), "1");
      httplib::Result response =
          method == "get" ? get(concrete)
                          : post(concrete, R"({"ratings": [{"movie_id": 1, "rating": 5}]})");
      ASSERT_TRUE(response) << method << " " << concrete;
      EXPECT_NE(response->status, 405) << method << " " << concrete;
      if (response->status == 404) {
        auto error = body_of(response)["error"]["message"].get<std::string>();
        EXPECT_EQ(error.find("no route"), std::string::npos) << method << " " << concrete;
      }
    }
  }

  std::set<std::string> expected = {"get /recommendations/{user_id}",
                                    "post /recommendations",
                                    "get /movies/{movie_id}",
                                    "get /movies/{movie_id}/similar",
                                    "get /healthz",
                                    "get /readyz",
                                    "get /model",
                                    "get /metrics",
                                    "get /openapi.json",
                                    "post /admin/reload"};
  EXPECT_EQ(documented, expected);
}

TEST_F(ServiceApi, NoInputProducesServerError) {
  std::vector<std::string> paths = {
      "/recommendations/%00",
      "/recommendations/%ff%fe",
      "/recommendations/1?genre=%ff%fe",
      "/recommendations/1?genre=%00",
      "/recommendations/1?k=%00",
      "/recommendations/1?year_to=-99999999999999999999",
      "/recommendations/1?=",
      "/recommendations/1?&&&",
      "/movies/1/similar?genre=" + std::string(3000, '%'),
      "/movies/18446744073709551616",
      "/movies/-9223372036854775808/similar",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/metrics/../model",
  };
  for (const auto& path : paths) {
    auto result = get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_LT(result->status, 500) << path << " -> " << result->body;
  }
  std::vector<std::string> bodies = {
      "{\"ratings\": [{\"movie_id\": 1, \"rating\": 4}]}\xff",
      "{\"ratings\": [{\"movie_id\": 1, \"rating\": NaN}]}",
      "{\"ratings\": [{\"movie_id\": 1e308, \"rating\": 4}]}",
      "{\"ratings\": [{\"movie_id\": 1, \"rating\": 4}], \"year_from\": 1e10}",
      std::string(1000, '['),
      "{\"ratings\": [" + std::string(2000, '{') + "]}",
  };
  for (const auto& body : bodies) {
    auto result = post("/recommendations", body);
    ASSERT_TRUE(result) << body.substr(0, 80);
    EXPECT_GE(result->status, 400) << body.substr(0, 80);
    EXPECT_LT(result->status, 500) << body.substr(0, 80) << " -> " << result->body;
  }
}

TEST_F(ServiceApi, AccessLogHasOneLinePerRequest) {
  auto result = get("/recommendations/3?k=2");
  ASSERT_TRUE(result);
  // The line is written after the response is sent, so it may lag the response briefly.
  std::string log;
  for (int attempt = 0; attempt < 50; ++attempt) {
    log = service_->log();
    if (log.find("model=1 path=/recommendations/3") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(log.find("GET /recommendations/{user_id} 200"), std::string::npos) << log;
  EXPECT_NE(log.find("model=1 path=/recommendations/3"), std::string::npos) << log;
}

}  // namespace
}  // namespace recsys::testing
