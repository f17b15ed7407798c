// The Dockerfile read as data: two stages on Debian 12, a non-root runtime user and no -dev
// package at run time. The runtime packages must provide every shared library that the
// recsys program built on this machine, from the same Debian packages, links directly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "containers/shell_command.hpp"
#include "source_dir.hpp"

namespace recsys::testing {
namespace {

struct Stage {
  std::string base;
  std::string name;
  std::vector<std::string> instructions;  // Continuation lines joined, comments dropped.
};

std::vector<Stage> read_stages() {
  std::ifstream in(kSourceDir / "Dockerfile");
  std::vector<Stage> stages;
  std::string line;
  std::string instruction;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    bool continued = !line.empty() && line.back() == '\\';
    instruction += line.substr(first, continued ? line.size() - first - 1 : std::string::npos);
    instruction += ' ';
    if (continued) {
      continue;
    }
    std::istringstream words(instruction);
    std::string keyword;
    words >> keyword;
    if (keyword == "FROM") {
      Stage stage;
      std::string as;
      words >> stage.base >> as >> stage.name;
      stages.push_back(stage);
    } else if (!stages.empty()) {
      stages.back().instructions.push_back(instruction);
    }
    instruction.clear();
  }
  return stages;
}

// Package names of every "apt-get install" in the stage.
std::set<std::string> installed_packages(const Stage& stage) {
  std::set<std::string> packages;
  for (const auto& instruction : stage.instructions) {
    auto at = instruction.find("apt-get install");
    if (at == std::string::npos) {
      continue;
    }
    std::istringstream words(instruction.substr(at + std::string("apt-get install").size()));
    std::string word;
    while (words >> word && word != "&&") {
      if (word[0] != '-') {
        packages.insert(word);
      }
    }
  }
  return packages;
}

TEST(Dockerfile, HasBuildAndRuntimeStagesOnDebian12) {
  auto stages = read_stages();
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].name, "build");
  EXPECT_EQ(stages[1].name, "runtime");
  for (const auto& stage : stages) {
    EXPECT_EQ(stage.base, "debian:12-slim") << stage.name;
  }
}

TEST(Dockerfile, RuntimeRunsAsNonRootUser) {
  auto runtime = read_stages().at(1);
  std::string user;
  for (const auto& instruction : runtime.instructions) {
    if (instruction.rfind("USER ", 0) == 0) {
      user = instruction.substr(5);
      user = user.substr(0, user.find(' '));
    }
  }
  EXPECT_EQ(user, "recsys");
}

TEST(Dockerfile, RuntimeInstallsNoDevelopmentPackages) {
  auto packages = installed_packages(read_stages().at(1));
  ASSERT_FALSE(packages.empty());
  for (const auto& package : packages) {
    EXPECT_EQ(package.find("-dev"), std::string::npos) << package;
    EXPECT_NE(package, "build-essential");
    EXPECT_NE(package, "cmake");
  }
}

// The build stage installs the library -dev packages of scripts/install-deps.sh, except the
// test and benchmark frameworks that the image does not build.
TEST(Dockerfile, BuildStageMatchesInstallDeps) {
  std::ifstream in(kSourceDir / "scripts" / "install-deps.sh");
  std::string script((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static const std::regex dev_package(R"(\b(lib[a-z0-9.+-]*-dev)\b)");
  auto build_packages = installed_packages(read_stages().at(0));
  for (auto it = std::sregex_iterator(script.begin(), script.end(), dev_package);
       it != std::sregex_iterator(); ++it) {
    auto package = (*it)[1].str();
    if (package == "libgtest-dev" || package == "libgmock-dev" || package == "libbenchmark-dev") {
      continue;
    }
    EXPECT_EQ(build_packages.count(package), 1u) << package << " is missing from the build stage";
  }
}

// The Debian package that installed the library that the dynamic loader resolves `soname`
// to for the program; a plain name search would also match other architectures' copies.
std::string package_of_library(const std::string& program, const std::string& soname) {
  auto resolved = run_shell("ldd " + shell_quote(program) +
                            " | awk -v name=" + shell_quote(soname) + " '$1 == name {print $3}'");
  std::string path = resolved.output.substr(0, resolved.output.find('\n'));
  if (path.empty()) {
    return "";
  }
  // With merged /usr, dpkg may list the file under /lib or /usr/lib.
  std::string other = path.rfind("/usr/", 0) == 0 ? path.substr(4) : "/usr" + path;
  auto result = run_shell("dpkg -S " + shell_quote(path) + " || dpkg -S " + shell_quote(other));
  auto colon = result.output.find(':');
  if (result.exit_code != 0 || colon == std::string::npos) {
    return "";
  }
  return result.output.substr(0, colon);
}

TEST(Dockerfile, RuntimePackagesProvideLinkedLibraries) {
  auto needed =
      run_shell("objdump -p " + shell_quote(RECSYS_BINARY) + " | awk '/NEEDED/ {print $2}'");
  ASSERT_EQ(needed.exit_code, 0) << needed.output;
  auto runtime_packages = installed_packages(read_stages().at(1));
  // These are in every Debian image, debian:12-slim included.
  const std::set<std::string> base_packages = {"libc6", "libgcc-s1", "libstdc++6"};

  std::istringstream sonames(needed.output);
  std::string soname;
  int checked = 0;
  while (sonames >> soname) {
    if (soname.rfind("libasan", 0) == 0 || soname.rfind("libubsan", 0) == 0) {
      continue;  // Only the sanitizer build links these.
    }
    auto package = package_of_library(RECSYS_BINARY, soname);
    ASSERT_FALSE(package.empty()) << "no Debian package contains " << soname;
    ++checked;
    EXPECT_TRUE(runtime_packages.count(package) == 1 || base_packages.count(package) == 1)
        << soname << " comes from " << package << ", which the runtime stage does not install";
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace recsys::testing
