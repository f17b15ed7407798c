#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace recsys::tracking {

// A flat YAML mapping written the way MLflow writes its meta.yaml files, with PyYAML's
// safe_dump(default_flow_style=False, sort_keys=True, allow_unicode=True): keys sorted, block
// style, strings quoted only where PyYAML's resolver would read them as another type.
// NOTE: PyYAML also folds plain strings longer than 80 characters at spaces, but this writer
// keeps them on one line, which reads back to the same value.
class YamlMapping {
 public:
  struct Null {};
  struct EmptyList {};
  using StringMap = std::map<std::string, std::string>;
  using Value = std::variant<Null, std::int64_t, std::string, EmptyList, StringMap>;

  YamlMapping& set_null(const std::string& key);
  YamlMapping& set_int(const std::string& key, std::int64_t value);
  YamlMapping& set_string(const std::string& key, const std::string& value);
  YamlMapping& set_empty_list(const std::string& key);
  // A nested mapping of strings, written as "{}" when empty.
  YamlMapping& set_map(const std::string& key, const StringMap& value);

  std::string dump() const;

 private:
  std::map<std::string, Value> values_;
};

// The name of the metadata file in each folder of MLflow's file store.
inline constexpr const char* kMetaFile = "meta.yaml";

// Parses a YAML file. Throws recsys::Error naming the file when it cannot be read or parsed.
YAML::Node load_yaml(const std::filesystem::path& file);

// True when PyYAML would quote `text` rather than write it as a plain scalar.
bool yaml_string_needs_quotes(const std::string& text);

}  // namespace recsys::tracking
