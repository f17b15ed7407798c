#include "data/source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/loader.hpp"
#include "data/sha256.hpp"
#include "test_support.hpp"

namespace recsys::test {
namespace {

using ::testing::HasSubstr;

Files tiny_ml100k() {
  return {
      {"u.genre", "unknown|0\nDrama|1\n"},
      {"u.occupation", "other\n"},
      {"u.item", "1|Heat (1995)|01-Jan-1995||x|0|1\n2|Casino (1995)|01-Jan-1995||x|0|1\n"},
      {"u.user", "1|30|M|other|00000\n"},
      {"u.data", "1\t1\t4\t881250949\n1\t2\t5\t881250950\n"},
      {"README", "not read by the loader\n"},
  };
}

TEST(DataSourceTest, ZipWithTopFolderMatchesDirectory) {
  TempDir dir;
  write_files(dir.path() / "ml-100k", tiny_ml100k());
  write_zip(dir.path() / "ml-100k.zip", tiny_ml100k(), "ml-100k");

  Dataset from_dir = load(dir.path() / "ml-100k");
  Dataset from_zip = load(dir.path() / "ml-100k.zip");
  EXPECT_EQ(from_zip.fingerprint, from_dir.fingerprint);
  EXPECT_EQ(from_zip.name, "ml-100k");
  EXPECT_EQ(from_zip.source, dir.path() / "ml-100k.zip");
  ASSERT_EQ(from_zip.ratings.size(), from_dir.ratings.size());
  EXPECT_EQ(from_zip.ratings[1].rating, 5.0F);
}

TEST(DataSourceTest, ZipWithFilesAtRoot) {
  TempDir dir;
  write_zip(dir.path() / "copy.zip", tiny_ml100k(), "");
  DataSource source(dir.path() / "copy.zip");
  EXPECT_TRUE(source.is_zip());
  EXPECT_TRUE(source.contains("u.data"));
  EXPECT_EQ(source.folder_name(), "copy");
  EXPECT_EQ(load(dir.path() / "copy.zip").ratings.size(), 2U);
}

TEST(DataSourceTest, ListsAndReadsFiles) {
  TempDir dir;
  write_zip(dir.path() / "ml-100k.zip", tiny_ml100k(), "ml-100k");
  DataSource source(dir.path() / "ml-100k.zip");
  EXPECT_EQ(source.folder_name(), "ml-100k");
  EXPECT_EQ(source.file_names(), (std::vector<std::string>{"README", "u.data", "u.genre", "u.item",
                                                           "u.occupation", "u.user"}));
  EXPECT_EQ(source.read_all("u.genre"), "unknown|0\nDrama|1\n");
  EXPECT_EQ(source.file_size("u.data"), tiny_ml100k()["u.data"].size());
  EXPECT_EQ(source.describe("u.data"),
            (dir.path() / "ml-100k.zip" / "ml-100k" / "u.data").string());
}

TEST(DataSourceTest, FingerprintIsHashOfManifest) {
  TempDir dir;
  write_files(dir.path() / "ml-100k", tiny_ml100k());
  Files files = tiny_ml100k();

  // The sha256sum manifest of the five files the loader reads, sorted by name.
  std::string manifest;
  for (std::string name : {"u.data", "u.genre", "u.item", "u.occupation", "u.user"}) {
    manifest += sha256_hex(files[name]) + "  " + name + "\n";
  }
  EXPECT_EQ(load(dir.path() / "ml-100k").fingerprint, "sha256:" + sha256_hex(manifest));
}

TEST(DataSourceTest, RejectsMissingPath) {
  TempDir dir;
  std::string error = load_error(dir.path() / "nowhere");
  EXPECT_THAT(error, HasSubstr("nowhere does not exist"));
  EXPECT_THAT(error, HasSubstr("recsys data fetch"));
}

TEST(DataSourceTest, RejectsFolderWithoutRatingsFile) {
  TempDir dir;
  Files files = tiny_ml100k();
  files.erase("u.data");
  write_files(dir.path() / "ml-100k", files);
  std::string error = load_error(dir.path() / "ml-100k");
  EXPECT_THAT(error, HasSubstr("contains no MovieLens ratings file (u.data, ratings.dat or "
                               "ratings.csv)"));
}

TEST(DataSourceTest, RejectsZipWithoutRatingsFile) {
  TempDir dir;
  Files files = tiny_ml100k();
  files.erase("u.data");
  write_zip(dir.path() / "ml-100k.zip", files, "ml-100k");
  EXPECT_THAT(load_error(dir.path() / "ml-100k.zip"), HasSubstr("contains no MovieLens ratings"));
}

TEST(DataSourceTest, RejectsFileThatIsNotZip) {
  TempDir dir;
  write_file(dir.path() / "ml-100k.zip", "this is not a zip archive at all\n");
  std::string error = load_error(dir.path() / "ml-100k.zip");
  EXPECT_THAT(error, HasSubstr("failed to open " + (dir.path() / "ml-100k.zip").string() +
                               " as a zip: Not a zip archive"));
}

TEST(DataSourceTest, RejectsTruncatedZip) {
  TempDir dir;
  write_zip(dir.path() / "full.zip", tiny_ml100k(), "ml-100k");
  std::string bytes = read_file(dir.path() / "full.zip");
  write_file(dir.path() / "cut.zip", bytes.substr(0, bytes.size() / 2));
  EXPECT_THAT(load_error(dir.path() / "cut.zip"), HasSubstr("as a zip"));
}

TEST(DataSourceTest, RejectsZipEntryWithBadCrc) {
  TempDir dir;
  write_zip(dir.path() / "ml-100k.zip", tiny_ml100k(), "ml-100k", true);
  std::string bytes = read_file(dir.path() / "ml-100k.zip");
  std::size_t at = bytes.find("881250949");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '9';  // Stored uncompressed, so this changes u.data's bytes but not its CRC.
  write_file(dir.path() / "ml-100k.zip", bytes);

  std::string error = load_error(dir.path() / "ml-100k.zip");
  EXPECT_THAT(error, HasSubstr("u.data: CRC error"));
  EXPECT_THAT(error, HasSubstr("download it again"));
}

TEST(DataSourceTest, ResolvesDataPath) {
  EXPECT_EQ(resolve_data_path("/some/ml-100k"), std::filesystem::path("/some/ml-100k"));
}

}  // namespace
}  // namespace recsys::test
