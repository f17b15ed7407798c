// The README's "Docker Compose" tables compared with docker-compose.yml in both directions:
// every image, port, volume and variable that the README names is in the file with the same
// value, and every one in the file is documented.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "source_dir.hpp"

namespace recsys::testing {
namespace {

using Row = std::vector<std::string>;

// Splits a Markdown table row into its cells, without the backticks around code.
Row table_cells(const std::string& line) {
  Row cells;
  std::stringstream stream(line.substr(1));
  std::string cell;
  while (std::getline(stream, cell, '|')) {
    auto first = cell.find_first_not_of(' ');
    auto last = cell.find_last_not_of(' ');
    cell = first == std::string::npos ? "" : cell.substr(first, last - first + 1);
    if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`' &&
        cell.find('`', 1) == cell.size() - 1) {
      cell = cell.substr(1, cell.size() - 2);
    }
    cells.push_back(cell);
  }
  return cells;
}

// The body rows (after the header and separator) of every table under "### <heading>"
// inside "## Docker Compose".
std::map<std::string, std::vector<Row>> readme_tables() {
  std::ifstream in(kSourceDir / "README.md");
  std::map<std::string, std::vector<Row>> tables;
  std::string line;
  bool in_section = false;
  bool in_body = false;
  std::string heading;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_section = line == "## Docker Compose";
      heading.clear();
      continue;
    }
    if (!in_section) {
      continue;
    }
    if (line.rfind("### ", 0) == 0) {
      heading = line.substr(4);
      in_body = false;
      continue;
    }
    if (heading.empty() || line.rfind("|", 0) != 0) {
      continue;
    }
    Row cells = table_cells(line);
    if (!cells.empty() && cells[0].rfind("---", 0) == 0) {
      in_body = true;
    } else if (in_body) {
      tables[heading].push_back(cells);
    }
  }
  return tables;
}

YAML::Node services() {
  return YAML::LoadFile((kSourceDir / "docker-compose.yml").string())["services"];
}

std::string compose_text() {
  std::ifstream in(kSourceDir / "docker-compose.yml");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ReadmeCompose, SectionHasAllTables) {
  auto tables = readme_tables();
  for (const char* heading : {"Images", "Ports", "Volumes", "Variables read by Compose",
                              "Environment inside the containers"}) {
    EXPECT_FALSE(tables[heading].empty()) << "README.md has no table under ### " << heading;
  }
}

TEST(ReadmeCompose, ImagesMatch) {
  auto tables = readme_tables();
  const auto& rows = tables["Images"];
  std::set<std::string> documented;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    documented.insert(row[0]);
    auto service = services()[row[0]];
    ASSERT_TRUE(service) << "README names unknown service " << row[0];
    if (service["build"]) {
      EXPECT_NE(row[1].find("Dockerfile"), std::string::npos) << row[0];
    } else {
      EXPECT_EQ(row[1], service["image"].as<std::string>()) << row[0];
    }
  }
  for (const auto& entry : services()) {
    EXPECT_EQ(documented.count(entry.first.as<std::string>()), 1u)
        << entry.first.as<std::string>() << " is missing from the README's images";
  }
}

TEST(ReadmeCompose, PortsMatch) {
  static const std::regex port(R"(^127\.0\.0\.1:\$\{([A-Z_]+):-([0-9]+)\}:([0-9]+)$)");
  std::map<std::string, Row> compose_ports;
  for (const auto& entry : services()) {
    for (const auto& published : entry.second["ports"]) {
      std::smatch match;
      auto text = published.as<std::string>();
      ASSERT_TRUE(std::regex_match(text, match, port)) << text;
      compose_ports[entry.first.as<std::string>()] = {entry.first.as<std::string>(),
                                                      "127.0.0.1:" + match[2].str(), match[3].str(),
                                                      match[1].str()};
    }
  }

  std::set<std::string> documented;
  auto tables = readme_tables();
  for (const auto& row : tables["Ports"]) {
    ASSERT_EQ(row.size(), 4u);
    documented.insert(row[0]);
    ASSERT_EQ(compose_ports.count(row[0]), 1u) << row[0] << " publishes no port";
    EXPECT_EQ(row, compose_ports[row[0]]);
  }
  for (const auto& [service, row] : compose_ports) {
    EXPECT_EQ(documented.count(service), 1u) << service << "'s port is missing from the README";
  }
}

TEST(ReadmeCompose, VolumesMatch) {
  static const std::regex variable_default(R"(^\$\{[A-Z_]+:-([^}]+)\}$)");
  std::set<Row> compose_volumes;
  for (const auto& entry : services()) {
    for (const auto& volume : entry.second["volumes"]) {
      auto text = volume.as<std::string>();
      auto source_end = text.find(':', text.find('}') == std::string::npos ? 0 : text.find('}'));
      auto source = text.substr(0, source_end);
      auto target = text.substr(source_end + 1);
      target = target.substr(0, target.find(':'));
      std::smatch match;
      if (std::regex_match(source, match, variable_default)) {
        source = match[1].str();
      }
      compose_volumes.insert({source, entry.first.as<std::string>(), target});
    }
  }

  std::set<Row> documented;
  auto tables = readme_tables();
  for (const auto& row : tables["Volumes"]) {
    ASSERT_EQ(row.size(), 3u);
    documented.insert(row);
  }
  EXPECT_EQ(documented, compose_volumes);

  std::set<std::string> named;
  for (const auto& entry :
       YAML::LoadFile((kSourceDir / "docker-compose.yml").string())["volumes"]) {
    named.insert(entry.first.as<std::string>());
  }
  for (const auto& row : documented) {
    if (row[0].rfind("./", 0) != 0) {
      EXPECT_EQ(named.count(row[0]), 1u) << row[0] << " is not declared under volumes:";
    }
  }
}

TEST(ReadmeCompose, ComposeVariablesMatch) {
  static const std::regex reference(R"(\$\{([A-Z_]+):-([^}]*)\})");
  std::string text = compose_text();
  std::map<std::string, std::string> compose_defaults;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), reference);
       it != std::sregex_iterator(); ++it) {
    auto [position, inserted] = compose_defaults.emplace((*it)[1].str(), (*it)[2].str());
    EXPECT_EQ(position->second, (*it)[2].str()) << (*it)[1].str() << " has two defaults";
  }

  std::map<std::string, std::string> documented;
  auto tables = readme_tables();
  for (const auto& row : tables["Variables read by Compose"]) {
    ASSERT_EQ(row.size(), 3u);
    documented[row[0]] = row[1];
  }
  EXPECT_EQ(documented, compose_defaults);
}

TEST(ReadmeCompose, ContainerEnvironmentMatches) {
  std::set<std::pair<std::string, std::string>> documented;
  auto tables = readme_tables();
  for (const auto& row : tables["Environment inside the containers"]) {
    ASSERT_EQ(row.size(), 3u);
    documented.insert({row[0], row[1]});
    auto value = services()[row[0]]["environment"][row[1]];
    ASSERT_TRUE(value) << row[0] << " has no variable " << row[1];
    EXPECT_EQ(value.as<std::string>(), row[2]) << row[0] << " " << row[1];
  }
  for (const char* service : {"api", "trainer"}) {
    for (const auto& entry : services()[service]["environment"]) {
      EXPECT_EQ(documented.count({service, entry.first.as<std::string>()}), 1u)
          << service << " " << entry.first.as<std::string>() << " is missing from the README";
    }
  }
}

}  // namespace
}  // namespace recsys::testing
