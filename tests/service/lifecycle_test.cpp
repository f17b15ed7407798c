#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "service_environment.hpp"
#include "service_process.hpp"

namespace recsys::testing {
namespace {

using nlohmann::json;

// Requests sent by background threads until stopped, each thread bounded by a request count,
// with every status and every model version seen in the responses recorded.
class Load {
 public:
  Load(const ServiceProcess& service, int threads, int max_requests_per_thread) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, &service, t, max_requests_per_thread] {
        auto http = service.client();
        std::mt19937 random(static_cast<unsigned>(t));
        for (int i = 0; i < max_requests_per_thread && !stop_.load(); ++i) {
          httplib::Result result =
              i % 4 == 3
                  ? http->Post(
                        "/recommendations",
                        R"({"ratings": [{"movie_id": 1, "rating": 5}, {"movie_id": 4, "rating": 4}]})",
                        "application/json")
                  : http->Get("/recommendations/" + std::to_string(1 + random() % 150) + "?k=5");
          record(result);
        }
      });
    }
  }

  ~Load() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& worker : workers_) {
      if (worker.joinable()) {
        worker.join();
      }
    }
  }

  std::map<int, int> statuses() const {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  std::set<std::string> versions() const {
    std::lock_guard lock(mutex_);
    return versions_;
  }
  int count(int status) const {
    auto all = statuses();
    return all.contains(status) ? all[status] : 0;
  }
  std::string first_failure() const {
    std::lock_guard lock(mutex_);
    return first_failure_;
  }

 private:
  void record(const httplib::Result& result) {
    std::lock_guard lock(mutex_);
    int status = result ? result->status : 0;  // 0: no HTTP response at all.
    ++statuses_[status];
    if (status == 200) {
      versions_.insert(json::parse(result->body)["model"]["version"].get<std::string>());
    } else if (first_failure_.empty()) {
      first_failure_ = std::to_string(status) + " " + (result ? result->body : "(no response)");
    }
  }

  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  mutable std::mutex mutex_;
  std::map<int, int> statuses_;
  std::set<std::string> versions_;
  std::string first_failure_;
};

std::string served_version(const ServiceProcess& service) {
  auto result = service.client()->Get("/model");
  if (!result || result->status != 200) {
    return "";
  }
  return json::parse(result->body)["version"].get<std::string>();
}

TEST(ServiceLifecycle, ChampionSwitchUnderLoadFailsNoRequest) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--reload-interval", "0.2"}, "switch.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();

  Load load(service, 4, 4000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Version 2 is another ALS model, version 3 an mf model. Publishing with --keep 1 drops
  // version 1's tables while requests may still run on it.
  environment.publish(environment.model_directory("als", 1), "2");
  ASSERT_TRUE(eventually([&] { return served_version(service) == "2"; }, 30)) << service.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  environment.publish(environment.model_directory("mf"), "3");
  ASSERT_TRUE(eventually([&] { return served_version(service) == "3"; }, 30)) << service.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.stop();

  auto statuses = load.statuses();
  EXPECT_EQ(statuses.size(), 1U) << "first failure: " << load.first_failure();
  EXPECT_GT(load.count(200), 100);
  EXPECT_TRUE(load.versions().contains("1"));
  EXPECT_TRUE(load.versions().contains("3"));
  auto log = service.log();
  EXPECT_NE(log.find("now serving movielens-recommender version 3"), std::string::npos) << log;

  auto metrics = service.client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(
      metrics->body.find("recommender_model_info{name=\"movielens-recommender\",version=\"3\""),
      std::string::npos);
  EXPECT_EQ(
      metrics->body.find("recommender_model_info{name=\"movielens-recommender\",version=\"1\""),
      std::string::npos);
}

// With polling too slow to notice, publishing two versions drops the tables of the one the
// service still runs on (recsys publish --keep 1). Requests that fail on the dropped tables
// trigger a reload and run again on the new version, so none fails.
TEST(ServiceLifecycle, DroppedVersionUnderLoadFailsNoRequest) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--reload-interval", "600"}, "dropped.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();
  ASSERT_EQ(served_version(service), "1");

  Load load(service, 4, 4000);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  environment.publish(environment.model_directory("als", 1), "2");
  environment.publish(environment.model_directory("mf"), "3");
  ASSERT_TRUE(eventually([&] { return load.versions().contains("3"); }, 30)) << service.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  load.stop();

  EXPECT_EQ(load.statuses().size(), 1U) << "first failure: " << load.first_failure();
  EXPECT_GT(load.count(200), 100);
  EXPECT_TRUE(load.versions().contains("1"));
  EXPECT_FALSE(load.versions().contains("2")) << "version 2 was never loaded";
  EXPECT_EQ(served_version(service), "3");
  auto log = service.log();
  EXPECT_NE(log.find("retrying on version 3"), std::string::npos) << log;
  EXPECT_NE(log.find("model reload (query error)"), std::string::npos) << log;
}

TEST(ServiceLifecycle, AdminReloadSwitchesWithoutPolling) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--reload-interval", "0"}, "admin-reload.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();
  ASSERT_EQ(served_version(service), "1");

  environment.publish(environment.model_directory("popularity"), "4");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(served_version(service), "1") << "no polling: the old version stays until reload";

  auto reload = service.client()->Post("/admin/reload", "", "application/json");
  ASSERT_TRUE(reload);
  ASSERT_EQ(reload->status, 200) << reload->body;
  auto body = json::parse(reload->body);
  EXPECT_EQ(body["outcome"], "loaded");
  EXPECT_EQ(body["model"]["version"], "4");
  EXPECT_EQ(served_version(service), "4");

  // Popularity ranks the same movies first for a new user as for anyone.
  auto folded = service.client()->Post("/recommendations",
                                       R"({"ratings": [{"movie_id": 2, "rating": 5}], "k": 3})",
                                       "application/json");
  ASSERT_TRUE(folded);
  ASSERT_EQ(folded->status, 200) << folded->body;
  EXPECT_EQ(json::parse(folded->body)["items"].size(), 3U);
}

TEST(ServiceLifecycle, DatabaseRestartUnderLoadRecovers) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--reload-interval", "0.5", "--statement-timeout-ms", "1000"},
                         "restart.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();

  Load load(service, 3, 100000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  environment.stop_database();
  ASSERT_TRUE(eventually([&] { return load.count(503) > 20; }, 30))
      << "no 503 while the database is down: " << service.log();
  auto readiness = service.client()->Get("/readyz");
  ASSERT_TRUE(readiness);
  EXPECT_EQ(readiness->status, 503);
  auto health = service.client()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << "the process stays alive without its database";

  environment.start_database();
  int ok_before = load.count(200);
  ASSERT_TRUE(eventually([&] { return load.count(200) > ok_before + 50; }, 60))
      << "no recovery after the database came back: " << service.log();
  load.stop();

  auto statuses = load.statuses();
  for (const auto& [status, count] : statuses) {
    EXPECT_TRUE(status == 200 || status == 503) << status << " x" << count;
  }
  EXPECT_TRUE(service.wait_ready(10));

  // After recovery every request succeeds again.
  auto http = service.client();
  for (int i = 1; i <= 20; ++i) {
    auto result = http->Get("/recommendations/" + std::to_string(i));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200) << result->body;
  }
  auto log = service.log();
  EXPECT_NE(log.find("lost, reconnecting"), std::string::npos) << log;
  EXPECT_NE(log.find("database connection to"), std::string::npos) << log;
}

// Without other traffic, GET /readyz alone must notice that the pooled connections died with
// the database (503), replace them and turn ready again once it is back.
TEST(ServiceLifecycle, ReadinessFollowsTheDatabase) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--reload-interval", "0", "--threads", "2"}, "readiness.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();

  environment.stop_database();
  auto down = service.client()->Get("/readyz");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << down->body;
  auto body = json::parse(down->body);
  EXPECT_EQ(body["database"], "unavailable") << body;
  EXPECT_EQ(body["error"]["code"], "not_ready") << body;
  EXPECT_EQ(body["model"]["version"], "1") << "the loaded model stays in memory";

  environment.start_database();
  EXPECT_TRUE(service.wait_ready(30)) << service.log();
  auto metrics = service.client()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("recommender_ready 1"), std::string::npos);
  std::smatch lost;
  ASSERT_TRUE(std::regex_search(metrics->body, lost,
                                std::regex(R"(recommender_db_connections_lost_total (\d+))")))
      << metrics->body;
  EXPECT_GE(std::stoi(lost[1]), 1) << "the broken connection was not reported as lost";
  EXPECT_NE(service.log().find("reconnected"), std::string::npos) << service.log();
}

TEST(ServiceLifecycle, StartsWithoutDatabaseAndBecomesReady) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  environment.stop_database();
  ServiceProcess service({"--reload-interval", "0.3"}, "cold-start.log");

  auto health = service.client()->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto readiness = service.client()->Get("/readyz");
  ASSERT_TRUE(readiness);
  EXPECT_EQ(readiness->status, 503);
  auto recommendation = service.client()->Get("/recommendations/1");
  ASSERT_TRUE(recommendation);
  EXPECT_EQ(recommendation->status, 503);
  EXPECT_EQ(json::parse(recommendation->body)["error"]["code"], "service_unavailable");
  // The cause is the database, not a missing publication.
  EXPECT_NE(recommendation->body.find("the database is unavailable"), std::string::npos)
      << recommendation->body;
  auto model = service.client()->Get("/model");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->status, 503);

  environment.start_database();
  EXPECT_TRUE(service.wait_ready(30)) << service.log();
  auto after = service.client()->Get("/recommendations/1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << after->body;
}

// A transaction holding an exclusive lock on the served movies makes every search wait; the
// statement timeout cancels it, the service answers 503, and it recovers once the lock is gone.
TEST(ServiceLifecycle, StatementTimeoutGives503) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({"--statement-timeout-ms", "300"}, "timeout.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();
  auto model = service.client()->Get("/model");
  ASSERT_TRUE(model);
  auto publication = json::parse(model->body)["publication_id"].get<std::int64_t>();

  std::string lock = "BEGIN; LOCK TABLE publication_" + std::to_string(publication) +
                     ".movies IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT;";
  ChildProcess locker({"/usr/bin/psql", "-X", "-q", environment.database_url(), "-c", lock},
                      environment.work_directory() / "lock.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto blocked = service.client()->Get("/recommendations/1");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 503) << blocked->body;
  EXPECT_NE(blocked->body.find("timed out"), std::string::npos) << blocked->body;

  while (locker.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto after = service.client()->Get("/recommendations/1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << after->body;
}

TEST(ServiceLifecycle, SigtermFinishesRequestsInProgress) {
  auto& environment = ServiceEnvironment::get();
  environment.publish(environment.model_directory("als"), "1");
  ServiceProcess service({}, "sigterm.log");
  ASSERT_TRUE(service.wait_ready()) << service.log();

  Load load(service, 4, 100000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int exit_code = service.process().stop(SIGTERM, std::chrono::seconds(20));
  load.stop();

  EXPECT_EQ(exit_code, 0) << service.log();
  // Requests either completed or found the port closed (status 0); none was cut off with a
  // server error.
  for (const auto& [status, count] : load.statuses()) {
    EXPECT_TRUE(status == 200 || status == 0) << status << " x" << count;
  }
  EXPECT_GT(load.count(200), 0);
  auto log = service.log();
  EXPECT_NE(log.find("SIGTERM received: stopping"), std::string::npos) << log;
  EXPECT_NE(log.find("recsys serve stopped"), std::string::npos) << log;
}

}  // namespace
}  // namespace recsys::testing
