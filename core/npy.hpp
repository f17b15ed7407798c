#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace recsys {

// A two-dimensional array as stored in a NumPy .npy file (format version 1.0, C order,
// little-endian). Only float32 ('<f4') and int32 ('<i4') are supported.
template <typename T>
struct NpyArray {
  std::int64_t rows = 0;
  std::int64_t columns = 0;
  std::vector<T> values;  // rows * columns values in row-major order.
};

void write_npy(const std::filesystem::path& file, const NpyArray<float>& array);
void write_npy(const std::filesystem::path& file, const NpyArray<std::int32_t>& array);

// Read a .npy file written by write_npy or NumPy. Throws recsys::InputError naming the file
// when the header is invalid, the type differs or the data is truncated.
NpyArray<float> read_npy_float32(const std::filesystem::path& file);
NpyArray<std::int32_t> read_npy_int32(const std::filesystem::path& file);

}  // namespace recsys
