#include "tracking/local_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.hpp"

namespace recsys::tracking {

namespace fs = std::filesystem;

namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  std::ostringstream text;
  text << std::hex << generator();
  return text.str();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string percent_decode(const std::string& text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

}  // namespace

fs::path temporary_sibling(const fs::path& path) {
  return path.parent_path() / ("." + path.filename().string() + ".tmp-" + random_suffix());
}

void write_file_atomically(const fs::path& file, const std::string& content) {
  std::error_code error;
  fs::create_directories(file.parent_path(), error);
  if (error) {
    throw Error("cannot create directory " + file.parent_path().string() + ": " + error.message());
  }
  const fs::path temporary = temporary_sibling(file);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      fs::remove(temporary, error);
      throw Error("cannot write " + temporary.string() + ": check free space and permissions");
    }
  }
  fs::rename(temporary, file, error);
  if (error) {
    fs::remove(temporary, error);
    throw Error("cannot rename a temporary file to " + file.string() + ": " + error.message());
  }
}

void append_line(const fs::path& file, const std::string& line) {
  std::error_code error;
  fs::create_directories(file.parent_path(), error);
  const int descriptor = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    throw Error("cannot open " + file.string() + " for appending: " + std::strerror(errno));
  }
  const std::string text = line + "\n";
  const ssize_t written = ::write(descriptor, text.data(), text.size());
  const int write_errno = errno;
  ::close(descriptor);
  if (written != static_cast<ssize_t>(text.size())) {
    throw Error("cannot append to " + file.string() + ": " + std::strerror(write_errno));
  }
}

std::string read_text_file(const fs::path& file) {
  std::error_code error;
  if (fs::is_directory(file, error)) {
    throw Error("cannot read " + file.string() + ": it is a directory, expected a file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error("cannot read " + file.string() + ": the file is missing or unreadable");
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void copy_file_atomically(const fs::path& file, const fs::path& destination) {
  std::error_code error;
  fs::create_directories(destination.parent_path(), error);
  if (error) {
    throw Error("cannot create directory " + destination.parent_path().string() + ": " +
                error.message());
  }
  const fs::path temporary = temporary_sibling(destination);
  fs::copy_file(file, temporary, fs::copy_options::overwrite_existing, error);
  if (error) {
    fs::remove(temporary, error);
    throw Error("cannot copy " + file.string() + " to " + destination.string() + ": " +
                error.message());
  }
  fs::rename(temporary, destination, error);
  if (error) {
    fs::remove(temporary, error);
    throw Error("cannot rename a temporary file to " + destination.string() + ": " +
                error.message());
  }
}

std::string path_to_file_uri(const fs::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::string absolute = fs::absolute(path).lexically_normal().string();
  std::string uri = "file://";
  for (unsigned char c : absolute) {
    const bool unreserved =
        std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (unreserved) {
      uri.push_back(static_cast<char>(c));
    } else {
      uri.push_back('%');
      uri.push_back(kHex[c >> 4]);
      uri.push_back(kHex[c & 0x0f]);
    }
  }
  // lexically_normal keeps a trailing separator of a directory path, but MLflow's URIs have
  // none.
  if (uri.size() > 8 && uri.back() == '/') {
    uri.pop_back();
  }
  return uri;
}

fs::path file_uri_to_path(const std::string& uri) {
  if (!uri.starts_with("file:")) {
    throw Error("invalid file URI '" + uri + "': expected file:///absolute/path");
  }
  std::string rest = uri.substr(5);
  if (rest.starts_with("//")) {
    rest = rest.substr(2);
    const std::size_t slash = rest.find('/');
    const std::string host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") {
      throw Error("invalid file URI '" + uri + "': host '" + host +
                  "' is not local; use file:///absolute/path");
    }
    rest = slash == std::string::npos ? "/" : rest.substr(slash);
  }
  return fs::path(percent_decode(rest));
}

}  // namespace recsys::tracking
