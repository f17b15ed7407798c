#include "tracking/model_uri.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "mock_mlflow_server.hpp"
#include "test_util.hpp"
#include "tracking/file_model_registry.hpp"
#include "tracking/model_registration.hpp"
#include "tracking/model_table.hpp"
#include "training_fixture.hpp"

namespace recsys::tracking {
namespace {

namespace fs = std::filesystem;
using testing::MockMlflowServer;
using testing::read_file;
using testing::TempDirectory;

RegistrationResult register_run(const std::string& uri, const std::string& run_id) {
  RegisterOptions options;
  options.tracking_uri = uri;
  options.run_id = run_id;
  options.poll_interval = std::chrono::milliseconds(1);
  return register_model(options);
}

TEST(ModelUri, ParsesAliasAndVersionForms) {
  const ModelUri alias = parse_model_uri("models:/movielens-recommender@champion");
  EXPECT_EQ(alias.name, "movielens-recommender");
  EXPECT_EQ(alias.alias, "champion");
  EXPECT_TRUE(alias.version.empty());
  const ModelUri version = parse_model_uri("models:/movielens-recommender/12");
  EXPECT_EQ(version.version, "12");
  EXPECT_TRUE(version.alias.empty());
  for (const char* bad : {"models:/", "models:/name", "models:/name/latest", "models:/@alias",
                          "runs:/abc/model", "models:/a/b/3"}) {
    EXPECT_THROW(parse_model_uri(bad), Error) << bad;
  }
}

TEST(ModelUri, ResolvesAliasFromFileStoreIntoCache) {
  TempDirectory temp;
  const std::string uri = (temp.path() / "mlruns").string();
  const std::string run = testing::log_fake_training_run(uri, temp.path(), {{"ndcg_at_10", 0.3}});
  register_run(uri, run);

  const ResolvedModel model =
      resolve_model_uri("models:/movielens-recommender@champion", temp.path() / "cache", uri);
  EXPECT_EQ(model.name, "movielens-recommender");
  EXPECT_EQ(model.version, "1");
  EXPECT_EQ(model.alias, "champion");
  EXPECT_EQ(model.run_id, run);
  EXPECT_EQ(model.directory,
            temp.path() / "cache" / "models" / "movielens-recommender" / ("1-" + run));
  EXPECT_TRUE(fs::exists(model.directory / "MLmodel"));
  EXPECT_EQ(read_file(model.directory / "catalog" / "genres.json"), "[\"Drama\"]");

  // A second resolution uses the cached copy.
  fs::remove(model.directory / "catalog" / "genres.json");
  const ResolvedModel again =
      resolve_model_uri("models:/movielens-recommender/1", temp.path() / "cache", uri);
  EXPECT_EQ(again.directory, model.directory);
  EXPECT_FALSE(fs::exists(again.directory / "catalog" / "genres.json"));
}

TEST(ModelUri, ResolvesThroughRestRegistryAndArtifactProxy) {
  MockMlflowServer server;
  TempDirectory temp;
  const std::string run =
      testing::log_fake_training_run(server.url(), temp.path(), {{"ndcg_at_10", 0.3}});
  register_run(server.url(), run);

  const ResolvedModel model = resolve_model_uri("models:/movielens-recommender@champion",
                                                temp.path() / "cache", server.url());
  EXPECT_EQ(model.version, "1");
  EXPECT_EQ(model.run_id, run);
  EXPECT_EQ(model.source, "mlflow-artifacts:/1/" + run + "/artifacts/model");
  EXPECT_EQ(read_file(model.directory / "user_embeddings.npy"), std::string("\x93NUMPY user", 11));
  EXPECT_TRUE(fs::exists(model.directory / "catalog" / "movies.json"));
}

TEST(ModelUri, ResolvesRunUriAndPlainDirectory) {
  TempDirectory temp;
  const std::string uri = (temp.path() / "mlruns").string();
  const std::string run = testing::log_fake_training_run(uri, temp.path(), {{"ndcg_at_10", 0.3}});

  const ResolvedModel from_run =
      resolve_model_uri("runs:/" + run + "/model", temp.path() / "cache", uri);
  EXPECT_EQ(from_run.run_id, run);
  EXPECT_TRUE(fs::exists(from_run.directory / "model.json"));

  const ResolvedModel local = resolve_model_uri(from_run.directory.string(), temp.path(), uri);
  EXPECT_EQ(local.directory, from_run.directory);
  EXPECT_EQ(local.run_id, run);
  EXPECT_TRUE(local.name.empty());
  EXPECT_THROW(resolve_model_uri((temp.path() / "missing").string(), temp.path(), uri), Error);
}

TEST(ModelUri, MissingAliasAndDeletedVersionAreClearErrors) {
  TempDirectory temp;
  const std::string uri = (temp.path() / "mlruns").string();
  register_run(uri, testing::log_fake_training_run(uri, temp.path(), {{"ndcg_at_10", 0.3}}));

  try {
    resolve_model_uri("models:/movielens-recommender@staging", temp.path() / "cache", uri);
    FAIL() << "a missing alias resolved";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("recsys models list --registered-model movielens-recommender "
                        "--tracking-uri " +
                        uri),
              std::string::npos)
        << error.what();
  }
  fs::remove_all(temp.path() / "mlruns" / "models" / "movielens-recommender" / "version-1");
  try {
    resolve_model_uri("models:/movielens-recommender@champion", temp.path() / "cache", uri);
    FAIL() << "an alias on a deleted version resolved";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("points at version 1"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(temp.path() / "cache" / "models"));
}

TEST(ModelUri, DownloadRefusesNonEmptyDirectory) {
  TempDirectory temp;
  const std::string uri = (temp.path() / "mlruns").string();
  register_run(uri, testing::log_fake_training_run(uri, temp.path(), {{"ndcg_at_10", 0.3}}));
  testing::write_file(temp.path() / "out" / "existing.txt", "keep");
  EXPECT_THROW(download_model("models:/movielens-recommender/1", temp.path() / "out", uri), Error);
  EXPECT_EQ(read_file(temp.path() / "out" / "existing.txt"), "keep");

  const ResolvedModel model =
      download_model("models:/movielens-recommender/1", temp.path() / "fresh", uri);
  EXPECT_TRUE(fs::exists(temp.path() / "fresh" / "model.json"));
  EXPECT_EQ(model.version, "1");
}

TEST(ModelTable, ShowsVersionsAliasesAndMetrics) {
  ModelVersion champion;
  champion.name = "movielens-recommender";
  champion.version = "2";
  champion.aliases = {"champion"};
  champion.run_id = "abc";
  champion.creation_timestamp = 1700000000000;
  champion.tags = {{"metric.ndcg_at_10", "0.41234"},
                   {"metric.rmse", "0.9"},
                   {"recsys.dataset.name", "ml-100k"},
                   {"recsys.dataset.fingerprint", testing::kFingerprint},
                   {"recsys.split", "random-80-20"}};
  ModelVersion older = champion;
  older.version = "1";
  older.aliases.clear();
  older.tags.erase("metric.rmse");

  const std::string table = format_model_versions_table({champion, older});
  std::istringstream lines(table);
  std::string header;
  std::string first;
  std::string second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_NE(header.find("ndcg_at_10"), std::string::npos);
  EXPECT_NE(header.find("ALIASES"), std::string::npos);
  EXPECT_NE(first.find("champion"), std::string::npos);
  EXPECT_NE(first.find("0.4123"), std::string::npos);
  EXPECT_NE(first.find("0.9000"), std::string::npos);
  EXPECT_NE(first.find("sha256:0123456789ab"), std::string::npos);
  EXPECT_NE(first.find("2023-11-14 22:13"), std::string::npos);
  EXPECT_EQ(second.find("champion"), std::string::npos);
  EXPECT_EQ(header.find("ndcg_at_10"), first.find("0.4123")) << "columns are aligned";
}

TEST(ModelUri, MissingStoreIsClearErrorAndStaysMissing) {
  TempDirectory temp;
  const fs::path root = temp.path() / "mlruns";
  for (const std::string uri :
       {"models:/movielens-recommender@champion", "models:/movielens-recommender/1",
        "runs:/0123456789abcdef0123456789abcdef/model"}) {
    EXPECT_THROW(resolve_model_uri(uri, temp.path() / "cache", root.string()), Error) << uri;
    EXPECT_THROW(download_model(uri, temp.path() / "out", root.string()), Error) << uri;
  }
  EXPECT_FALSE(fs::exists(root)) << "resolving a model URI created the store";
}

}  // namespace
}  // namespace recsys::tracking
