#include "data/fetch.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "data/sha256.hpp"
#include "data/source.hpp"

namespace fs = std::filesystem;

namespace recsys {

namespace {

struct ContentChecksum {
  std::string_view file;
  std::string_view sha256;
};

// A release that can be fetched: where it lives and the SHA-256 of its content files.
struct KnownRelease {
  std::string_view name;
  std::string_view url;
  std::vector<ContentChecksum> files;
};

// NOTE: the zip's own SHA-256 is not recorded because no verified value was available, so the
// download is checked file by file instead. The sums below were computed with sha256sum on an
// unmodified copy of the files of the GroupLens ml-100k release. The zip's two helper scripts
// (allbut.pl, mku.sh) are not checked because nothing reads them.
const std::vector<KnownRelease>& known_releases() {
  static const std::vector<KnownRelease> releases = {
      {"ml-100k",
       "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
       {
           {"README", "4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52"},
           {"u.data", "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"},
           {"u.genre", "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb"},
           {"u.info", "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b"},
           {"u.item", "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701"},
           {"u.occupation", "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d"},
           {"u.user", "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"},
           {"u1.base", "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a"},
           {"u1.test", "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950"},
           {"u2.base", "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e"},
           {"u2.test", "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3"},
           {"u3.base", "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d"},
           {"u3.test", "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d"},
           {"u4.base", "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca"},
           {"u4.test", "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9"},
           {"u5.base", "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485"},
           {"u5.test", "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634"},
           {"ua.base", "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2"},
           {"ua.test", "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42"},
           {"ub.base", "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881"},
           {"ub.test", "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da"},
       }},
  };
  return releases;
}

const KnownRelease& find_release(const std::string& name) {
  std::vector<std::string_view> names;
  for (const KnownRelease& release : known_releases()) {
    if (release.name == name) {
      return release;
    }
    names.push_back(release.name);
  }
  throw Error(
      fmt::format("cannot fetch release \"{}\": no verified checksums are known for it "
                  "(known: {}); download it yourself and pass its folder or zip with "
                  "--data",
                  name, fmt::join(names, ", ")));
}

std::string file_sha256(const DataSource& source, const std::string& name) {
  std::unique_ptr<ContentReader> reader = source.open(name);
  Sha256 hash;
  std::vector<char> buffer(std::size_t{1} << 16);
  while (std::size_t count = reader->read(buffer.data(), buffer.size())) {
    hash.update(std::string_view(buffer.data(), count));
  }
  return hash.hex_digest();
}

// A temporary file that is removed unless it was renamed into place.
class TemporaryFile {
 public:
  explicit TemporaryFile(const fs::path& final_path) {
    std::string pattern =
        (final_path.parent_path() / ("." + final_path.filename().string() + ".partial-XXXXXX"))
            .string();
    int descriptor = mkstemp(pattern.data());
    if (descriptor < 0) {
      throw Error(
          fmt::format("failed to create a temporary file in {}: {}; check that the "
                      "directory is writable or pass --dir",
                      final_path.parent_path().string(), std::strerror(errno)));
    }
    path_ = pattern;
    file_ = fdopen(descriptor, "wb");
    if (file_ == nullptr) {
      ::close(descriptor);
      std::error_code ignored;
      fs::remove(path_, ignored);
      throw Error(fmt::format("failed to open {}: {}", path_.string(), std::strerror(errno)));
    }
  }
  ~TemporaryFile() {
    close();
    if (!path_.empty()) {
      std::error_code ignored;
      fs::remove(path_, ignored);
    }
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  std::FILE* file() const { return file_; }
  const fs::path& path() const { return path_; }

  // Empties the file for a new attempt.
  void truncate() {
    if (std::fflush(file_) != 0 || ftruncate(fileno(file_), 0) != 0 ||
        std::fseek(file_, 0, SEEK_SET) != 0) {
      throw Error(fmt::format("failed to truncate {}: {}; check the data directory", path_.string(),
                              std::strerror(errno)));
    }
  }

  // Flushes the bytes to disk, gives the file the usual permissions and closes it.
  void sync_and_close() {
    // mkstemp creates the file as 0600; a cached release is as readable as any new file.
    mode_t mask = umask(0);
    umask(mask);
    if (std::fflush(file_) != 0 || fchmod(fileno(file_), 0666 & ~mask) != 0 ||
        fsync(fileno(file_)) != 0) {
      throw Error(fmt::format("failed to write {}: {}; check the free disk space", path_.string(),
                              std::strerror(errno)));
    }
    close();
  }

  void rename_to(const fs::path& final_path) {
    fs::rename(path_, final_path);
    path_.clear();
  }

 private:
  void close() {
    if (file_ != nullptr) {
      std::fclose(file_);
      file_ = nullptr;
    }
  }

  fs::path path_;
  std::FILE* file_ = nullptr;
};

// The state the libcurl callbacks write to.
struct Transfer {
  std::FILE* file = nullptr;
  bool write_failed = false;
  std::chrono::steady_clock::time_point last_log;
  curl_off_t last_logged_bytes = 0;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::size_t written = std::fwrite(data, size, count, transfer->file);
  transfer->write_failed = written != count;
  return written * size;
}

// Logs progress at most every two seconds.
int log_progress(void* user, curl_off_t total, curl_off_t received, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  auto now = std::chrono::steady_clock::now();
  if (received == transfer->last_logged_bytes ||
      now - transfer->last_log < std::chrono::seconds(2)) {
    return 0;
  }
  transfer->last_log = now;
  transfer->last_logged_bytes = received;
  if (total > 0) {
    spdlog::info("downloaded {} of {} KiB ({}%)", received / 1024, total / 1024,
                 received * 100 / total);
  } else {
    spdlog::info("downloaded {} KiB", received / 1024);
  }
  return 0;
}

// The outcome of one download attempt.
struct AttemptResult {
  bool ok = false;
  bool retryable = false;
  std::string problem;
};

AttemptResult download_once(const std::string& url, const FetchOptions& options,
                            TemporaryFile& target) {
  static std::once_flag curl_initialized;
  std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    return {false, false, "libcurl could not create a transfer"};
  }
  Transfer transfer{target.file(), false, std::chrono::steady_clock::now(), 0};
  std::array<char, CURL_ERROR_SIZE> error_text{};

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_seconds);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "recsys-data-fetch");
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text.data());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, log_progress);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);

  CURLcode code = curl_easy_perform(handle);
  if (transfer.write_failed) {
    return {false, false,
            fmt::format("failed to write {}: {}; check the free disk space", target.path().string(),
                        std::strerror(errno))};
  }
  if (code != CURLE_OK) {
    bool permanent = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL;
    std::string detail = error_text[0] != 0 ? error_text.data() : curl_easy_strerror(code);
    return {false, !permanent, detail};
  }

  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    bool transient = status >= 500 || status == 429 || status == 408;
    return {false, transient, fmt::format("the server returned HTTP {}", status)};
  }
  return {true, false, ""};
}

// Downloads `url` into `target`, retrying transient failures with exponential backoff.
void download(const std::string& url, const FetchOptions& options, TemporaryFile& target) {
  std::chrono::milliseconds backoff = options.first_backoff;
  int attempts = std::max(options.attempts, 1);
  for (int attempt = 1;; ++attempt) {
    spdlog::info("downloading {} (attempt {} of {})", url, attempt, attempts);
    target.truncate();
    AttemptResult result = download_once(url, options, target);
    if (result.ok) {
      return;
    }
    if (!result.retryable || attempt == attempts) {
      throw Error(
          fmt::format("download of {} failed after {} attempt(s): {}; check the network "
                      "connection and the URL, or download the zip yourself and pass "
                      "it with --data",
                      url, attempt, result.problem));
    }
    spdlog::warn("download of {} failed: {}; retrying in {:.1f} s", url, result.problem,
                 static_cast<double>(backoff.count()) / 1000.0);
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != 0 ? value : nullptr;
}

}  // namespace

fs::path default_data_dir() {
  if (const char* dir = environment("RECSYS_DATA_DIR")) {
    return dir;
  }
  if (const char* cache = environment("XDG_CACHE_HOME")) {
    return fs::path(cache) / "recsys";
  }
  if (const char* home = environment("HOME")) {
    return fs::path(home) / ".cache" / "recsys";
  }
  throw Error("no data directory: set RECSYS_DATA_DIR, XDG_CACHE_HOME or HOME, or pass --dir");
}

fs::path cached_release_path(const std::string& release, const fs::path& dir) {
  return dir / (release + ".zip");
}

void verify_release_zip(const std::string& release, const fs::path& zip) {
  const KnownRelease& known = find_release(release);
  DataSource source(zip);
  if (!source.is_zip()) {
    throw Error(
        fmt::format("{} is a folder, not a zip file; pass the downloaded .zip", zip.string()));
  }
  for (const ContentChecksum& expected : known.files) {
    std::string name(expected.file);
    if (!source.contains(name)) {
      throw Error(fmt::format("{} is missing {}, so it is not the {} release; download it again",
                              zip.string(), name, release));
    }
    std::string actual = file_sha256(source, name);
    if (actual != expected.sha256) {
      throw Error(
          fmt::format("checksum mismatch for {}: expected SHA-256 {}, found {}; the "
                      "download is corrupt, run `recsys data fetch` again",
                      source.describe(name), expected.sha256, actual));
    }
  }
}

fs::path fetch_release(const FetchOptions& options) {
  const KnownRelease& known = find_release(options.release);
  fs::path dir = options.dir.empty() ? default_data_dir() : options.dir;
  fs::path final_path = cached_release_path(options.release, dir);
  std::string url = options.url.empty() ? std::string(known.url) : options.url;

  std::error_code error;
  if (!options.force && fs::is_regular_file(final_path, error)) {
    try {
      verify_release_zip(options.release, final_path);
      spdlog::info("{} is already downloaded and verified at {}", options.release,
                   final_path.string());
      return final_path;
    } catch (const Error& e) {
      spdlog::warn("the cached {} fails verification ({}); downloading it again",
                   final_path.string(), e.what());
    }
  }

  fs::create_directories(dir, error);
  if (error) {
    throw Error(fmt::format("failed to create the data directory {}: {}; pass a writable --dir",
                            dir.string(), error.message()));
  }

  TemporaryFile partial(final_path);
  download(url, options, partial);
  partial.sync_and_close();
  verify_release_zip(options.release, partial.path());
  partial.rename_to(final_path);
  spdlog::info("stored {} at {}", options.release, final_path.string());
  return final_path;
}

}  // namespace recsys
