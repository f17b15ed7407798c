#include "data/source.hpp"

#include <zip.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace recsys {

namespace {

// Files whose presence marks the folder that contains a release.
constexpr std::array<const char*, 3> kRatingsFiles = {"u.data", "ratings.dat", "ratings.csv"};

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

class FileReader : public ContentReader {
 public:
  FileReader(const fs::path& path) : path_(path), file_(std::fopen(path.c_str(), "rb")) {
    if (file_ == nullptr) {
      throw Error("failed to open " + path.string() + ": " + std::strerror(errno) +
                  "; check that the file exists and is readable");
    }
  }
  ~FileReader() override { std::fclose(file_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  std::size_t read(char* buffer, std::size_t capacity) override {
    std::size_t count = std::fread(buffer, 1, capacity, file_);
    if (count < capacity && std::ferror(file_) != 0) {
      throw Error("failed to read " + path_.string() + ": " + std::strerror(errno));
    }
    return count;
  }

 private:
  fs::path path_;
  std::FILE* file_;
};

class ZipEntryReader : public ContentReader {
 public:
  ZipEntryReader(zip_t* archive, zip_uint64_t index, std::string description)
      : description_(std::move(description)), file_(zip_fopen_index(archive, index, 0)) {
    if (file_ == nullptr) {
      throw Error("failed to open " + description_ + ": " + zip_strerror(archive) +
                  "; the zip is damaged, download it again with `recsys data fetch`");
    }
  }
  ~ZipEntryReader() override { zip_fclose(file_); }
  ZipEntryReader(const ZipEntryReader&) = delete;
  ZipEntryReader& operator=(const ZipEntryReader&) = delete;

  std::size_t read(char* buffer, std::size_t capacity) override {
    zip_int64_t count = zip_fread(file_, buffer, capacity);
    if (count < 0) {
      throw Error("failed to read " + description_ + ": " + zip_file_strerror(file_) +
                  "; the zip is damaged, download it again with `recsys data fetch`");
    }
    return static_cast<std::size_t>(count);
  }

 private:
  std::string description_;
  zip_file_t* file_;
};

}  // namespace

struct DataSource::Zip {
  zip_t* archive = nullptr;
  std::string folder;  // Top folder with a trailing '/', or "".
  std::map<std::string, zip_uint64_t, std::less<>> entries;  // Base name -> entry index.
  std::map<std::string, zip_uint64_t, std::less<>> sizes;

  ~Zip() {
    if (archive != nullptr) {
      zip_discard(archive);
    }
  }
};

namespace {

// Returns the folder prefix ("" or "top/") that contains the release inside the zip.
std::string find_content_folder(const std::vector<std::string>& names) {
  for (const char* ratings : kRatingsFiles) {
    for (const std::string& name : names) {
      std::size_t slash = name.find('/');
      bool at_root = slash == std::string::npos;
      bool in_top_folder = !at_root && name.find('/', slash + 1) == std::string::npos;
      std::string_view base =
          at_root ? std::string_view(name) : std::string_view(name).substr(slash + 1);
      if ((at_root || in_top_folder) && base == ratings) {
        return at_root ? std::string() : name.substr(0, slash + 1);
      }
    }
  }

  // Without a ratings file, take the single top folder so that the error names the right files.
  std::string folder;
  for (const std::string& name : names) {
    std::size_t slash = name.find('/');
    if (slash == std::string::npos) {
      return "";
    }
    std::string top = name.substr(0, slash + 1);
    if (!folder.empty() && top != folder) {
      return "";
    }
    folder = top;
  }
  return folder;
}

}  // namespace

DataSource::DataSource(const fs::path& path) : path_(path) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    throw Error("data path " + path.string() +
                " does not exist; pass the folder of an extracted MovieLens release or its .zip, "
                "or run `recsys data fetch`");
  }
  if (fs::is_directory(status)) {
    return;
  }

  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (archive == nullptr) {
    throw Error("failed to open " + path.string() + " as a zip: " + zip_error_text(code) +
                "; download the release again (`recsys data fetch`) or pass its extracted folder");
  }
  zip_ = std::make_unique<Zip>();
  zip_->archive = archive;

  zip_int64_t count = zip_get_num_entries(archive, 0);
  std::vector<std::string> names;
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
    names.emplace_back(name == nullptr ? "" : name);
  }
  zip_->folder = find_content_folder(names);

  for (zip_int64_t i = 0; i < count; ++i) {
    const std::string& name = names[static_cast<std::size_t>(i)];
    if (name.size() <= zip_->folder.size() ||
        name.compare(0, zip_->folder.size(), zip_->folder) != 0) {
      continue;
    }
    std::string base = name.substr(zip_->folder.size());
    if (base.find('/') != std::string::npos) {
      continue;
    }
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0 ||
        (stat.valid & ZIP_STAT_SIZE) == 0) {
      throw Error("failed to read the size of " + describe(base) + " in " + path.string() + ": " +
                  zip_strerror(archive) + "; download the release again");
    }
    zip_->entries[base] = static_cast<zip_uint64_t>(i);
    zip_->sizes[base] = stat.size;
  }
}

DataSource::~DataSource() = default;
DataSource::DataSource(DataSource&&) noexcept = default;
DataSource& DataSource::operator=(DataSource&&) noexcept = default;

bool DataSource::is_zip() const {
  return zip_ != nullptr;
}

std::string DataSource::folder_name() const {
  if (!zip_) {
    fs::path normal = path_.lexically_normal();
    if (!normal.has_filename()) {
      normal = normal.parent_path();
    }
    return fs::absolute(normal).filename().string();
  }
  if (zip_->folder.empty()) {
    return path_.stem().string();
  }
  return zip_->folder.substr(0, zip_->folder.size() - 1);
}

std::vector<std::string> DataSource::file_names() const {
  std::vector<std::string> names;
  if (zip_) {
    for (const auto& entry : zip_->entries) {
      names.push_back(entry.first);
    }
    return names;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(path_)) {
    if (entry.is_regular_file()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool DataSource::contains(const std::string& name) const {
  if (zip_) {
    return zip_->entries.contains(name);
  }
  std::error_code error;
  return fs::is_regular_file(path_ / name, error);
}

std::uint64_t DataSource::file_size(const std::string& name) const {
  if (zip_) {
    auto found = zip_->sizes.find(name);
    if (found == zip_->sizes.end()) {
      throw Error(describe(name) + " is missing; the release is incomplete, download it again");
    }
    return found->second;
  }
  std::error_code error;
  std::uintmax_t size = fs::file_size(path_ / name, error);
  if (error) {
    throw Error("failed to read the size of " + describe(name) + ": " + error.message());
  }
  return size;
}

std::string DataSource::describe(const std::string& name) const {
  if (zip_) {
    return (path_ / (zip_->folder + name)).string();
  }
  return (path_ / name).string();
}

std::unique_ptr<ContentReader> DataSource::open(const std::string& name) const {
  if (!contains(name)) {
    throw Error(describe(name) + " is missing; the release is incomplete, download it again");
  }
  if (zip_) {
    return std::make_unique<ZipEntryReader>(zip_->archive, zip_->entries.at(name), describe(name));
  }
  return std::make_unique<FileReader>(path_ / name);
}

std::string DataSource::read_all(const std::string& name) const {
  std::unique_ptr<ContentReader> reader = open(name);
  std::string bytes;
  std::array<char, 1 << 16> buffer;
  while (std::size_t count = reader->read(buffer.data(), buffer.size())) {
    bytes.append(buffer.data(), count);
  }
  return bytes;
}

}  // namespace recsys
