#include "inference/router.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace recsys::inference {
namespace {

Router make_router() {
  Router router;
  auto noop = [](const auto&, auto&, const auto&) {};
  router.add({"GET", "/recommendations/{user_id}", "", noop});
  router.add({"POST", "/recommendations", "", noop});
  router.add({"GET", "/movies/{movie_id}", "", noop});
  router.add({"GET", "/movies/{movie_id}/similar", "", noop});
  router.add({"GET", "/healthz", "", noop});
  return router;
}

TEST(Router, MatchesTemplatesAndExtractsParameters) {
  auto router = make_router();
  auto lookup = router.find("GET", "/movies/50/similar");
  ASSERT_NE(lookup.route, nullptr);
  EXPECT_EQ(lookup.route->path_template, "/movies/{movie_id}/similar");
  ASSERT_EQ(lookup.parameters.size(), 1U);
  EXPECT_EQ(lookup.parameters[0], "50");
}

TEST(Router, HeadUsesGetRoutes) {
  auto router = make_router();
  EXPECT_NE(router.find("HEAD", "/healthz").route, nullptr);
}

TEST(Router, ReportsAllowedMethodsOnMethodMismatch) {
  auto router = make_router();
  auto lookup = router.find("DELETE", "/recommendations");
  EXPECT_EQ(lookup.route, nullptr);
  ASSERT_EQ(lookup.allowed_methods.size(), 1U);
  EXPECT_EQ(lookup.allowed_methods[0], "POST");
}

TEST(Router, RejectsExtraOrEmptySegments) {
  auto router = make_router();
  EXPECT_EQ(router.find("GET", "/healthz/").route, nullptr);
  EXPECT_EQ(router.find("GET", "/movies/").route, nullptr);
  EXPECT_EQ(router.find("GET", "/movies//similar").route, nullptr);
  EXPECT_EQ(router.find("GET", "/movies/1/similar/x").route, nullptr);
  EXPECT_EQ(router.find("GET", "").route, nullptr);
  EXPECT_EQ(router.find("GET", "healthz").route, nullptr);
}

TEST(Router, LabelsUnknownPathsWithFixedValue) {
  auto router = make_router();
  EXPECT_EQ(router.route_label("GET", "/recommendations/42"), "/recommendations/{user_id}");
  EXPECT_EQ(router.route_label("GET", "/wp-admin/login.php"), kUnmatchedRoute);
  EXPECT_EQ(router.route_label("GET", "/recommendations/1/2/3"), kUnmatchedRoute);
}

TEST(Router, RejectsTemplateWithoutSlash) {
  Router router;
  EXPECT_THROW(router.add({"GET", "healthz", "", [](const auto&, auto&, const auto&) {}}), Error);
}

}  // namespace
}  // namespace recsys::inference
