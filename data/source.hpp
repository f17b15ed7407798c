#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace recsys {

// A content file opened for sequential reading.
class ContentReader {
 public:
  virtual ~ContentReader() = default;

  // Reads up to `capacity` bytes into `buffer` and returns how many; 0 means the end of the
  // file. Throws recsys::Error when the bytes cannot be read (for example a zip CRC mismatch).
  virtual std::size_t read(char* buffer, std::size_t capacity) = 0;
};

// The files of a release, in a directory or in its zip. A zip's content files are those at its
// root or in its one top folder (such as "ml-100k/"): the folder that contains the ratings file.
class DataSource {
 public:
  // Opens a directory or a zip file. Throws recsys::Error when the path is missing or the zip
  // cannot be opened.
  explicit DataSource(const std::filesystem::path& path);
  ~DataSource();
  DataSource(DataSource&&) noexcept;
  DataSource& operator=(DataSource&&) noexcept;

  const std::filesystem::path& path() const { return path_; }
  bool is_zip() const;

  // The directory's name, or the zip's top folder (the zip's stem when files sit at its root).
  std::string folder_name() const;

  // Names of the content files (base names such as "u.data"), sorted.
  std::vector<std::string> file_names() const;

  bool contains(const std::string& name) const;
  std::uint64_t file_size(const std::string& name) const;

  // The file's path for messages; inside a zip it is the zip's path followed by the entry.
  std::string describe(const std::string& name) const;

  // Opens a content file; throws recsys::Error naming the file when it is missing.
  std::unique_ptr<ContentReader> open(const std::string& name) const;

  // Reads a whole content file (for small files such as checksummed splits).
  std::string read_all(const std::string& name) const;

 private:
  struct Zip;
  std::filesystem::path path_;
  std::unique_ptr<Zip> zip_;  // Null for a directory.
};

}  // namespace recsys
