#pragma once

#include <filesystem>
#include <string>

namespace recsys::tracking {

// Writes `content` to `file` through a temporary sibling and a rename, so readers never see a
// partial file. Creates the parent directories. Throws recsys::Error naming the file.
void write_file_atomically(const std::filesystem::path& file, const std::string& content);

// Appends one line in a single write, the way MLflow appends to its metric files.
void append_line(const std::filesystem::path& file, const std::string& line);

// Reads the whole file. Throws recsys::Error naming the file when it cannot be read.
std::string read_text_file(const std::filesystem::path& file);

// Copies `file` to `destination` atomically (temporary sibling, then rename).
void copy_file_atomically(const std::filesystem::path& file,
                          const std::filesystem::path& destination);

// "file:///abs/path" for a local path, percent-encoding like Python's pathlib.as_uri().
std::string path_to_file_uri(const std::filesystem::path& path);
// The local path of a "file:" URI ("file:///abs", "file:rel", "file://localhost/abs").
std::filesystem::path file_uri_to_path(const std::string& uri);

// A name for a temporary sibling of `path` that readers skip: ".<name>.tmp-<random>".
std::filesystem::path temporary_sibling(const std::filesystem::path& path);

}  // namespace recsys::tracking
