#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "database_test.hpp"
#include "db/recommendation_queries.hpp"
#include "postgres_environment.hpp"

namespace recsys::testing {
namespace {

using CrashTest = DatabaseTest;

// Forks a child that publishes `model` on its own connection and kills itself with SIGKILL
// once `kill_step` has sent data to the server. Returns the child's wait status.
int publish_and_die(const ModelDirectory& model, const std::string& kill_step) {
  pid_t child = fork();
  if (child == 0) {
    // The child must leave through _exit or SIGKILL: exit() would run the parent's atexit
    // handlers and close the parent's connection.
    try {
      db::Connection connection(PostgresEnvironment::database_url());
      db::PublishOptions options;
      options.model_version = "killed";
      options.progress = [&kill_step](std::string_view step, std::int64_t rows) {
        if (step == kill_step && (rows > 0 || step == "build index" || step == "switch")) {
          raise(SIGKILL);
        }
      };
      db::publish(connection, model, options);
    } catch (...) {
      _exit(3);
    }
    _exit(4);  // The publish finished without reaching the step: the test is wrong.
  }
  int status = 0;
  waitpid(child, &status, 0);
  return status;
}

// Waits until the server has ended the killed client's backend, so its locks are released.
void wait_for_backends_to_end(db::Connection& connection) {
  for (int i = 0; i < 100; ++i) {
    db::Result result = connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state <> 'idle'");
    if (result.int64(0, 0) == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

class KilledPublishTest : public CrashTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(KilledPublishTest, OldVersionStillAnswers) {
  auto old_model = round_trip(make_test_model({}), work_directory_, "v1");
  auto old = publish(old_model, "1");
  auto big = make_test_model({.movies = 3000, .users = 20000, .dimension = 32, .seed = 9});

  int status = publish_and_die(big, GetParam());
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit status " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  wait_for_backends_to_end(*connection_);

  // The served version is unchanged and serves queries. The killed attempt left no schema or row.
  auto connection = connect();
  auto served = db::served_version(connection);
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->publication_id, old.publication_id);
  EXPECT_EQ(db::recommend_for_user(connection, *served, 1000, 10, {}).size(), 10U);
  EXPECT_EQ(publication_schemas(),
            std::vector<std::string>{"publication_" + std::to_string(old.publication_id)});
  db::Result rows = connection_->execute("SELECT count(*) FROM publications");
  EXPECT_EQ(rows.int64(0, 0), 1);

  // The next publish of the same version succeeds.
  auto retry = publish(round_trip(big, work_directory_, "big"), "killed");
  EXPECT_EQ(retry.outcome, db::PublishOutcome::published);
  EXPECT_EQ(db::served_version(connection)->publication_id, retry.publication_id);
}

INSTANTIATE_TEST_SUITE_P(Steps, KilledPublishTest,
                         ::testing::Values("copy movies", "copy users", "build index", "switch"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), ' ', '_');
                           return name;
                         });

}  // namespace
}  // namespace recsys::testing
