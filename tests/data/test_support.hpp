#pragma once

#include <gtest/gtest.h>
#include <zip.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "core/error.hpp"
#include "data/loader.hpp"

namespace recsys::test {

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device device;
    path_ = std::filesystem::temp_directory_path() /
            ("recsys-data-test-" + std::to_string(device()) + std::to_string(device()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Files by name, written into a folder or a zip.
using Files = std::map<std::string, std::string>;

inline void write_files(const std::filesystem::path& dir, const Files& files) {
  for (const auto& [name, bytes] : files) {
    write_file(dir / name, bytes);
  }
}

// Writes `files` into a zip under `folder` ("" for the zip's root). `stored` entries are not
// compressed, so that a test can damage their bytes in place.
inline void write_zip(const std::filesystem::path& zip_path, const Files& files,
                      const std::string& folder, bool stored = false) {
  int error = 0;
  zip_t* archive = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  ASSERT_NE(archive, nullptr) << "libzip error " << error;
  if (!folder.empty()) {
    ASSERT_GE(zip_dir_add(archive, folder.c_str(), ZIP_FL_ENC_UTF_8), 0);
  }
  for (const auto& [name, bytes] : files) {
    zip_source_t* source = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
    ASSERT_NE(source, nullptr);
    std::string entry = folder.empty() ? name : folder + "/" + name;
    zip_int64_t index = zip_file_add(archive, entry.c_str(), source, ZIP_FL_ENC_UTF_8);
    ASSERT_GE(index, 0) << zip_strerror(archive);
    if (stored) {
      ASSERT_EQ(
          zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0), 0);
    }
  }
  ASSERT_EQ(zip_close(archive), 0) << zip_strerror(archive);  // Reads the buffers now.
}

// Reads every regular file of a directory.
inline Files read_dir(const std::filesystem::path& dir) {
  Files files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      files[entry.path().filename().string()] = read_file(entry.path());
    }
  }
  return files;
}

// The ML100K_DIR environment variable, or "" when unset.
inline std::string ml100k_dir() {
  const char* dir = std::getenv("ML100K_DIR");
  return dir == nullptr ? "" : dir;
}

// Loads `path` and returns the message of the recsys::Error it throws ("" if none).
inline std::string load_error(const std::filesystem::path& path,
                              InvalidLinePolicy policy = InvalidLinePolicy::kReject,
                              const std::string& release = "auto") {
  try {
    LoadOptions options;
    options.path = path;
    options.release = release;
    options.invalid_lines = policy;
    load_dataset(options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline Dataset load(const std::filesystem::path& path,
                    InvalidLinePolicy policy = InvalidLinePolicy::kReject,
                    const std::string& release = "auto") {
  LoadOptions options;
  options.path = path;
  options.release = release;
  options.invalid_lines = policy;
  return load_dataset(options);
}

}  // namespace recsys::test
