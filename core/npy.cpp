#include "core/npy.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <fstream>
#include <regex>
#include <string>

#include "core/error.hpp"

namespace recsys {
namespace {

static_assert(std::endian::native == std::endian::little,
              ".npy files are written little-endian; big-endian hosts are not supported");

constexpr std::array<char, 6> kMagic = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

// Writes the magic string, version 1.0 and the header dictionary, padded with spaces and a
// final newline so that the data starts at a multiple of 64 bytes, as the format requires.
template <typename T>
void write_array(const std::filesystem::path& file, const NpyArray<T>& array, const char* descr) {
  if (static_cast<std::int64_t>(array.values.size()) != array.rows * array.columns) {
    throw Error("cannot write " + file.string() + ": " + std::to_string(array.values.size()) +
                " values do not fill a " + std::to_string(array.rows) + " x " +
                std::to_string(array.columns) + " array");
  }
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(array.rows) + ", " +
                       std::to_string(array.columns) + "), }";
  const std::size_t unpadded = kMagic.size() + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');

  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error("cannot open " + file.string() +
                " for writing: check the directory exists and is writable");
  }
  out.write(kMagic.data(), kMagic.size());
  const char version[2] = {1, 0};
  out.write(version, 2);
  const auto length = static_cast<std::uint16_t>(header.size());
  const char length_bytes[2] = {static_cast<char>(length & 0xFF), static_cast<char>(length >> 8)};
  out.write(length_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(array.values.data()),
            static_cast<std::streamsize>(array.values.size() * sizeof(T)));
  out.flush();
  if (!out) {
    throw Error("failed to write " + file.string() + ": disk full or I/O error");
  }
}

// Parses one dimension of the header's shape, which the regular expression limits to digits.
std::int64_t parse_dimension(const std::string& file, const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw InputError(file, 0,
                     "shape dimension " + text +
                         " does not fit in a 64-bit integer: the header is corrupt; write the "
                         "array again");
  }
  return value;
}

template <typename T>
NpyArray<T> read_array(const std::filesystem::path& file, const std::string& expected_descr) {
  const std::string name = file.string();
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) {
    throw InputError(name, 0, "is a directory: expected a .npy file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw InputError(name, 0, "cannot open the file: check that it exists and is readable");
  }
  std::array<char, 8> preamble{};
  if (!in.read(preamble.data(), preamble.size()) ||
      std::memcmp(preamble.data(), kMagic.data(), kMagic.size()) != 0) {
    throw InputError(name, 0, "not a .npy file (the magic string \\x93NUMPY is missing)");
  }
  const int major = static_cast<unsigned char>(preamble[6]);
  std::uint32_t header_length = 0;
  if (major == 1) {
    unsigned char bytes[2];
    in.read(reinterpret_cast<char*>(bytes), 2);
    header_length = bytes[0] | (bytes[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char bytes[4];
    in.read(reinterpret_cast<char*>(bytes), 4);
    header_length = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) |
                    (static_cast<std::uint32_t>(bytes[3]) << 24);
  } else {
    throw InputError(name, 0, "unsupported .npy format version " + std::to_string(major));
  }
  if (!in || header_length > (1U << 20)) {
    throw InputError(name, 0, "truncated or oversized .npy header");
  }
  std::string header(header_length, '\0');
  if (!in.read(header.data(), header_length)) {
    throw InputError(name, 0, "truncated .npy header");
  }

  std::smatch match;
  if (!std::regex_search(header, match, std::regex(R"('descr'\s*:\s*'([^']*)')")) ||
      match[1] != expected_descr) {
    throw InputError(name, 0, "expected element type '" + expected_descr + "' in header " + header);
  }
  if (std::regex_search(header, std::regex(R"('fortran_order'\s*:\s*True)"))) {
    throw InputError(name, 0, "Fortran-ordered arrays are not supported: save in C order");
  }
  if (!std::regex_search(header, match,
                         std::regex(R"('shape'\s*:\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\))"))) {
    throw InputError(name, 0, "expected a two-dimensional shape in header " + header);
  }
  NpyArray<T> array;
  array.rows = parse_dimension(name, match[1].str());
  array.columns = parse_dimension(name, match[2].str());
  std::int64_t expected_bytes_signed = 0;
  if (__builtin_mul_overflow(array.rows, array.columns, &expected_bytes_signed) ||
      __builtin_mul_overflow(expected_bytes_signed, static_cast<std::int64_t>(sizeof(T)),
                             &expected_bytes_signed)) {
    throw InputError(
        name, 0,
        "shape (" + match[1].str() + ", " + match[2].str() +
            ") needs more bytes than a file can have: the header is corrupt; write the "
            "array again");
  }

  const auto data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const auto data_bytes = static_cast<std::uint64_t>(in.tellg() - data_start);
  const auto expected_bytes = static_cast<std::uint64_t>(expected_bytes_signed);
  if (data_bytes != expected_bytes) {
    throw InputError(name, 0,
                     "expected " + std::to_string(expected_bytes) + " data bytes for shape (" +
                         std::to_string(array.rows) + ", " + std::to_string(array.columns) +
                         "), found " + std::to_string(data_bytes) +
                         ": the file is truncated or corrupt");
  }
  in.seekg(data_start);
  array.values.resize(static_cast<std::size_t>(array.rows * array.columns));
  in.read(reinterpret_cast<char*>(array.values.data()),
          static_cast<std::streamsize>(expected_bytes));
  if (!in) {
    throw InputError(name, 0, "failed to read the array data");
  }
  return array;
}

}  // namespace

void write_npy(const std::filesystem::path& file, const NpyArray<float>& array) {
  write_array(file, array, "<f4");
}

void write_npy(const std::filesystem::path& file, const NpyArray<std::int32_t>& array) {
  write_array(file, array, "<i4");
}

NpyArray<float> read_npy_float32(const std::filesystem::path& file) {
  return read_array<float>(file, "<f4");
}

NpyArray<std::int32_t> read_npy_int32(const std::filesystem::path& file) {
  return read_array<std::int32_t>(file, "<i4");
}

}  // namespace recsys
