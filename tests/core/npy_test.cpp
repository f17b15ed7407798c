#include "core/npy.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("npy-test-" + std::to_string(::getpid()));
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  // Writes a version 1.0 file whose header declares `shape` and that carries `data_bytes` zero
  // bytes of data, to test headers the writer never produces.
  fs::path write_with_shape(const std::string& shape, std::size_t data_bytes) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header.push_back('\n');
    const fs::path file = directory_ / "shape.npy";
    std::ofstream out(file, std::ios::binary);
    out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size() & 0xFF)
        << static_cast<char>(header.size() >> 8) << header << std::string(data_bytes, '\0');
    return file;
  }

  // Returns the message of the InputError that reading `file` throws, or fails the test.
  static std::string read_error(const fs::path& file) {
    try {
      read_npy_float32(file);
    } catch (const InputError& error) {
      return error.what();
    }
    ADD_FAILURE() << "reading " << file << " did not throw InputError";
    return {};
  }

  fs::path directory_;
};

TEST_F(NpyTest, RejectsDimensionTooLargeForInteger) {
  const std::string message = read_error(write_with_shape("(99999999999999999999, 64)", 0));
  EXPECT_NE(message.find("shape.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("99999999999999999999"), std::string::npos) << message;
}

TEST_F(NpyTest, RejectsShapeWhoseSizeOverflows) {
  const std::string message = read_error(write_with_shape("(4611686018427387904, 1)", 0));
  EXPECT_NE(message.find("shape.npy"), std::string::npos) << message;
  EXPECT_NE(message.find("4611686018427387904"), std::string::npos) << message;
}

TEST_F(NpyTest, ReadsHandWrittenHeader) {
  const NpyArray<float> read = read_npy_float32(write_with_shape("(2, 3)", 24));
  EXPECT_EQ(read.rows, 2);
  EXPECT_EQ(read.columns, 3);
  EXPECT_EQ(read.values, std::vector<float>(6, 0.0F));
}

TEST_F(NpyTest, RejectsDirectory) {
  fs::create_directories(directory_ / "dir.npy");
  const std::string message = read_error(directory_ / "dir.npy");
  EXPECT_NE(message.find("dir.npy"), std::string::npos) << message;
}

TEST_F(NpyTest, Float32RoundTrip) {
  NpyArray<float> array{2, 3, {1.5F, -2.0F, 3.25F, 0.0F, 1e-7F, 42.0F}};
  write_npy(directory_ / "a.npy", array);

  const NpyArray<float> read = read_npy_float32(directory_ / "a.npy");

  EXPECT_EQ(read.rows, 2);
  EXPECT_EQ(read.columns, 3);
  EXPECT_EQ(read.values, array.values);
}

TEST_F(NpyTest, HeaderFollowsFormatVersion1) {
  write_npy(directory_ / "a.npy", NpyArray<std::int32_t>{1, 2, {7, 8}});
  std::ifstream in(directory_ / "a.npy", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  ASSERT_GE(bytes.size(), 10U);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(bytes[6], 1);
  EXPECT_EQ(bytes[7], 0);
  const auto header_length =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_length) % 64, 0);
  const std::string header = bytes.substr(10, header_length);
  EXPECT_NE(header.find("'descr': '<i4'"), std::string::npos);
  EXPECT_NE(header.find("'shape': (1, 2)"), std::string::npos);
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.size(), 10 + header_length + 2 * sizeof(std::int32_t));
}

TEST_F(NpyTest, RejectsWrongElementType) {
  write_npy(directory_ / "a.npy", NpyArray<std::int32_t>{1, 1, {7}});
  EXPECT_THROW(read_npy_float32(directory_ / "a.npy"), InputError);
}

TEST_F(NpyTest, RejectsTruncatedData) {
  write_npy(directory_ / "a.npy", NpyArray<float>{4, 4, std::vector<float>(16, 1.0F)});
  fs::resize_file(directory_ / "a.npy", fs::file_size(directory_ / "a.npy") - 4);
  EXPECT_THROW(read_npy_float32(directory_ / "a.npy"), InputError);
}

TEST_F(NpyTest, RejectsMissingMagic) {
  std::ofstream(directory_ / "a.npy") << "not numpy";
  EXPECT_THROW(read_npy_float32(directory_ / "a.npy"), InputError);
}

TEST_F(NpyTest, RejectsValueCountMismatchOnWrite) {
  EXPECT_THROW(write_npy(directory_ / "a.npy", NpyArray<float>{2, 2, {1.0F}}), Error);
}

}  // namespace
}  // namespace recsys
