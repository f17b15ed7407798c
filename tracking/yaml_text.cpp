#include "tracking/yaml_text.hpp"

#include <regex>
#include <string_view>

#include "core/error.hpp"

namespace recsys::tracking {

namespace {

// PyYAML's implicit resolvers for YAML 1.1 (yaml/resolver.py): a plain scalar matching one of
// these is read back as a bool, int, float, null, timestamp, merge key or value key.
const std::regex& implicit_type_pattern() {
  static const std::regex pattern(
      "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
      "|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"
      "|[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9_]+(?:[eE][-+][0-9]+)?"
      "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)"
      "|~|null|Null|NULL"
      "|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
      "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:"
      "[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"
      "|<<|=");
  return pattern;
}

bool has_control_character(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

// Follows the checks of PyYAML's Emitter.analyze_scalar that decide whether a plain scalar is
// allowed in block context.
bool plain_scalar_allowed(std::string_view text) {
  static constexpr std::string_view kLeadingIndicators = "#,[]{}&*!|>'\"%@`";
  const char first = text.front();
  if (kLeadingIndicators.find(first) != std::string_view::npos) {
    return false;
  }
  if ((first == '-' || first == '?' || first == ':') &&
      (text.size() == 1 || text[1] == ' ' || text[1] == '\t')) {
    return false;
  }
  if (text.front() == ' ' || text.back() == ' ' || text.back() == ':') {
    return false;
  }
  if (text.starts_with("---") || text.starts_with("...")) {
    return false;
  }
  return text.find(": ") == std::string_view::npos && text.find(" #") == std::string_view::npos;
}

void emit_string(YAML::Emitter& emitter, const std::string& text) {
  if (has_control_character(text)) {
    emitter << YAML::DoubleQuoted << text;
  } else if (yaml_string_needs_quotes(text)) {
    emitter << YAML::SingleQuoted << text;
  } else {
    emitter << text;
  }
}

}  // namespace

bool yaml_string_needs_quotes(const std::string& text) {
  if (text.empty()) {
    return true;
  }
  if (std::regex_match(text, implicit_type_pattern())) {
    return true;
  }
  return has_control_character(text) || !plain_scalar_allowed(text);
}

YamlMapping& YamlMapping::set_null(const std::string& key) {
  values_[key] = Null{};
  return *this;
}

YamlMapping& YamlMapping::set_int(const std::string& key, std::int64_t value) {
  values_[key] = value;
  return *this;
}

YamlMapping& YamlMapping::set_string(const std::string& key, const std::string& value) {
  values_[key] = value;
  return *this;
}

YamlMapping& YamlMapping::set_empty_list(const std::string& key) {
  values_[key] = EmptyList{};
  return *this;
}

YamlMapping& YamlMapping::set_map(const std::string& key, const StringMap& value) {
  values_[key] = value;
  return *this;
}

std::string YamlMapping::dump() const {
  YAML::Emitter emitter;
  emitter.SetNullFormat(YAML::LowerNull);
  emitter.SetIndent(2);
  emitter << YAML::BeginMap;
  for (const auto& [key, value] : values_) {
    emitter << YAML::Key;
    emit_string(emitter, key);
    emitter << YAML::Value;
    if (std::holds_alternative<Null>(value)) {
      emitter << YAML::Null;
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      emitter << *number;
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      emit_string(emitter, *text);
    } else if (std::holds_alternative<EmptyList>(value)) {
      emitter << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
    } else {
      const auto& nested = std::get<StringMap>(value);
      if (nested.empty()) {
        emitter << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      } else {
        emitter << YAML::BeginMap;
        for (const auto& [nested_key, nested_value] : nested) {
          emitter << YAML::Key;
          emit_string(emitter, nested_key);
          emitter << YAML::Value;
          emit_string(emitter, nested_value);
        }
        emitter << YAML::EndMap;
      }
    }
  }
  emitter << YAML::EndMap;
  return std::string(emitter.c_str()) + "\n";
}

YAML::Node load_yaml(const std::filesystem::path& file) {
  try {
    return YAML::LoadFile(file.string());
  } catch (const YAML::Exception& error) {
    throw Error("cannot parse " + file.string() + ": " + error.what());
  }
}

}  // namespace recsys::tracking
