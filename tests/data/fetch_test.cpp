#include "data/fetch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <atomic>
#include <functional>
#include <optional>
#include <thread>

#include "data/loader.hpp"
#include "test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A cpp-httplib server on 127.0.0.1 that serves GET /ml-100k.zip by calling `respond`.
class LocalServer {
 public:
  explicit LocalServer(std::function<void(httplib::Response&, int)> respond) {
    server_.Get("/ml-100k.zip", [this, respond](const httplib::Request&, httplib::Response& res) {
      respond(res, ++requests_);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would leave the loop waiting forever.
    while (!server_.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/ml-100k.zip"; }
  int requests() const { return requests_; }

 private:
  httplib::Server server_;
  std::atomic<int> requests_ = 0;
  int port_ = 0;
  std::thread thread_;
};

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ml100k_dir().empty()) {
      GTEST_SKIP() << "set ML100K_DIR to the MovieLens 100k folder to run the fetch tests";
    }
    files_ = read_dir(ml100k_dir());
    good_zip_ = make_zip(files_);
  }

  FetchOptions options_for(const LocalServer& server) const {
    FetchOptions options;
    options.dir = cache_dir();
    options.url = server.url();
    options.attempts = 3;
    options.first_backoff = std::chrono::milliseconds(1);
    return options;
  }

  std::filesystem::path cache_dir() const { return dir_.path() / "cache"; }

  // Names of the files left in the cache directory.
  std::vector<std::string> cached_files() const {
    std::vector<std::string> names;
    if (std::filesystem::exists(cache_dir())) {
      for (const auto& entry : std::filesystem::directory_iterator(cache_dir())) {
        names.push_back(entry.path().filename().string());
      }
    }
    return names;
  }

  static httplib::Response& serve(httplib::Response& res, const std::string& bytes) {
    res.set_content(bytes, "application/zip");
    return res;
  }

  // Returns the bytes of a zip of `files` under "ml-100k/"; stored uncompressed, for speed.
  std::string make_zip(const Files& files) const {
    write_zip(dir_.path() / "made.zip", files, "ml-100k", true);
    return read_file(dir_.path() / "made.zip");
  }

  std::string fetch_error(const FetchOptions& options) {
    try {
      fetch_release(options);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  TempDir dir_;
  Files files_;
  std::string good_zip_;
};

TEST_F(FetchTest, DownloadsVerifiesAndStores) {
  LocalServer server([this](httplib::Response& res, int) { serve(res, good_zip_); });
  std::filesystem::path zip = fetch_release(options_for(server));

  EXPECT_EQ(zip, cache_dir() / "ml-100k.zip");
  EXPECT_EQ(cached_files(), std::vector<std::string>{"ml-100k.zip"});
  EXPECT_EQ(read_file(zip), good_zip_);
  Dataset dataset = load(zip);
  EXPECT_EQ(dataset.ratings.size(), 100000U);
}

TEST_F(FetchTest, StoredFileFollowsUmask) {
  mode_t old_mask = umask(022);
  LocalServer server([this](httplib::Response& res, int) { serve(res, good_zip_); });
  std::filesystem::path zip = fetch_release(options_for(server));
  umask(old_mask);

  auto permissions = std::filesystem::status(zip).permissions();
  EXPECT_EQ(permissions, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                             std::filesystem::perms::group_read |
                             std::filesystem::perms::others_read);
}

TEST_F(FetchTest, ReusesVerifiedCopy) {
  LocalServer server([this](httplib::Response& res, int) { serve(res, good_zip_); });
  fetch_release(options_for(server));
  fetch_release(options_for(server));
  EXPECT_EQ(server.requests(), 1);

  FetchOptions forced = options_for(server);
  forced.force = true;
  fetch_release(forced);
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(FetchTest, ReplacesCorruptCachedCopy) {
  write_file(cache_dir() / "ml-100k.zip", "damaged");
  LocalServer server([this](httplib::Response& res, int) { serve(res, good_zip_); });
  fetch_release(options_for(server));
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(read_file(cache_dir() / "ml-100k.zip"), good_zip_);
}

TEST_F(FetchTest, ChecksumMismatchLeavesNothingBehind) {
  Files changed = files_;
  changed["u.data"][0] = changed["u.data"][0] == '1' ? '2' : '1';
  std::string changed_zip = make_zip(changed);
  LocalServer server([&changed_zip](httplib::Response& res, int) { serve(res, changed_zip); });

  std::string error = fetch_error(options_for(server));
  EXPECT_THAT(error, HasSubstr("checksum mismatch for"));
  EXPECT_THAT(error, HasSubstr("u.data: expected SHA-256 "
                               "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"));
  EXPECT_THAT(cached_files(), ::testing::IsEmpty());
}

TEST_F(FetchTest, TruncatedDownloadLeavesNothingBehind) {
  std::string half = good_zip_.substr(0, good_zip_.size() / 2);
  LocalServer server([&half](httplib::Response& res, int) { serve(res, half); });

  EXPECT_THAT(fetch_error(options_for(server)), HasSubstr("as a zip"));
  EXPECT_THAT(cached_files(), ::testing::IsEmpty());
}

TEST_F(FetchTest, MissingFileFailsVerification) {
  Files partial = files_;
  partial.erase("u1.base");
  std::string partial_zip = make_zip(partial);
  LocalServer server([&partial_zip](httplib::Response& res, int) { serve(res, partial_zip); });

  EXPECT_THAT(fetch_error(options_for(server)), HasSubstr("is missing u1.base"));
  EXPECT_THAT(cached_files(), ::testing::IsEmpty());
}

TEST_F(FetchTest, ServerErrorIsRetriedThenFails) {
  LocalServer server([](httplib::Response& res, int) { res.status = 500; });

  std::string error = fetch_error(options_for(server));
  EXPECT_THAT(error, HasSubstr("failed after 3 attempt(s): the server returned HTTP 500"));
  EXPECT_EQ(server.requests(), 3);
  EXPECT_THAT(cached_files(), ::testing::IsEmpty());
}

TEST_F(FetchTest, TransientErrorIsRetried) {
  LocalServer server([this](httplib::Response& res, int request) {
    if (request == 1) {
      res.status = 503;
    } else {
      serve(res, good_zip_);
    }
  });
  fetch_release(options_for(server));
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(cached_files(), std::vector<std::string>{"ml-100k.zip"});
}

TEST_F(FetchTest, NotFoundIsNotRetried) {
  LocalServer server([](httplib::Response& res, int) { res.status = 404; });

  EXPECT_THAT(fetch_error(options_for(server)), HasSubstr("failed after 1 attempt(s): the "
                                                          "server returned HTTP 404"));
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(FetchTest, ConnectionRefusedIsRetried) {
  int port = 0;
  {
    LocalServer closed([](httplib::Response&, int) {});
    port = std::stoi(closed.url().substr(closed.url().rfind(':') + 1));
  }
  FetchOptions options;
  options.dir = cache_dir();
  options.url = "http://127.0.0.1:" + std::to_string(port) + "/ml-100k.zip";
  options.attempts = 2;
  options.first_backoff = std::chrono::milliseconds(1);
  EXPECT_THAT(fetch_error(options), HasSubstr("failed after 2 attempt(s)"));
  EXPECT_THAT(cached_files(), ::testing::IsEmpty());
}

TEST_F(FetchTest, RejectsReleaseWithoutChecksums) {
  FetchOptions options;
  options.release = "ml-1m";
  options.dir = cache_dir();
  EXPECT_THAT(fetch_error(options), HasSubstr("no verified checksums are known"));
}

TEST(DataDirTest, FollowsEnvironment) {
  ScopedEnv data_dir("RECSYS_DATA_DIR", "/data/recsys");
  EXPECT_EQ(default_data_dir(), std::filesystem::path("/data/recsys"));
  {
    ScopedEnv no_data_dir("RECSYS_DATA_DIR", nullptr);
    ScopedEnv cache("XDG_CACHE_HOME", "/xdg");
    EXPECT_EQ(default_data_dir(), std::filesystem::path("/xdg/recsys"));
    ScopedEnv no_cache("XDG_CACHE_HOME", nullptr);
    ScopedEnv home("HOME", "/home/me");
    EXPECT_EQ(default_data_dir(), std::filesystem::path("/home/me/.cache/recsys"));
  }
}

TEST(DataDirTest, ResolvesDataPathInOrder) {
  TempDir dir;
  ScopedEnv data_dir("RECSYS_DATA_DIR", dir.path().c_str());
  {
    ScopedEnv ml100k("ML100K_DIR", "/from/env");
    EXPECT_EQ(resolve_data_path("/from/cli"), std::filesystem::path("/from/cli"));
    EXPECT_EQ(resolve_data_path(""), std::filesystem::path("/from/env"));
  }

  ScopedEnv no_ml100k("ML100K_DIR", nullptr);
  try {
    resolve_data_path("");
    FAIL() << "resolved a path without any data";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("run `recsys data fetch`"));
    EXPECT_THAT(e.what(), HasSubstr("--data"));
    EXPECT_THAT(e.what(), HasSubstr("ML100K_DIR"));
  }

  write_file(dir.path() / "ml-100k.zip", "zip");
  EXPECT_EQ(resolve_data_path(""), dir.path() / "ml-100k.zip");
}

}  // namespace
}  // namespace recsys::test
