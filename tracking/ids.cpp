#include "tracking/ids.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "core/error.hpp"

namespace recsys::tracking {

namespace {

std::mt19937_64& generator() {
  static thread_local std::mt19937_64 instance{std::random_device{}()};
  return instance;
}

std::tm utc_now(std::int64_t* microseconds) {
  const auto now = std::chrono::system_clock::now();
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  *microseconds = since_epoch % 1'000'000;
  const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1'000'000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return parts;
}

}  // namespace

std::string random_uuid_hex() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<unsigned char, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t value = generator()();
    for (std::size_t j = 0; j < 8; ++j) {
      bytes[i + j] = static_cast<unsigned char>(value >> (8 * j));
    }
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // Version 4.
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant.
  std::string text;
  for (unsigned char byte : bytes) {
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 0x0f]);
  }
  return text;
}

std::string random_experiment_id() {
  std::uniform_int_distribution<int> first_digit(1, 9);
  std::uniform_int_distribution<int> digit(0, 9);
  std::string id(1, static_cast<char>('0' + first_digit(generator())));
  while (id.size() < 18) {
    id.push_back(static_cast<char>('0' + digit(generator())));
  }
  return id;
}

std::string md5_hex(const std::string& first, const std::string& second) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok = context != nullptr && EVP_DigestInit_ex(context, EVP_md5(), nullptr) == 1 &&
                  EVP_DigestUpdate(context, first.data(), first.size()) == 1 &&
                  EVP_DigestUpdate(context, second.data(), second.size()) == 1 &&
                  EVP_DigestFinal_ex(context, digest.data(), &length) == 1;
  EVP_MD_CTX_free(context);
  if (!ok) {
    throw Error("OpenSSL failed to compute an MD5 digest");
  }
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0x0f]);
  }
  return text;
}

std::int64_t now_milliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc_time_python_string() {
  std::int64_t microseconds = 0;
  const std::tm parts = utc_now(&microseconds);
  std::array<char, 64> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%d %H:%M:%S", &parts);
  std::string result(text.data(), length);
  // Python's str(datetime) leaves out the fraction when it is zero.
  if (microseconds != 0) {
    std::array<char, 16> fraction{};
    std::snprintf(fraction.data(), fraction.size(), ".%06lld",
                  static_cast<long long>(microseconds));
    result += fraction.data();
  }
  return result;
}

std::string utc_time_compact_string() {
  std::int64_t microseconds = 0;
  const std::tm parts = utc_now(&microseconds);
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y%m%d-%H%M%S", &parts);
  return std::string(text.data(), length);
}

long version_number(const std::string& version, const std::string& where) {
  long number = 0;
  const auto [end, error] =
      std::from_chars(version.data(), version.data() + version.size(), number);
  if (version.empty() || error != std::errc() || end != version.data() + version.size() ||
      number < 1) {
    throw Error("model version '" + version + "' in " + where +
                " is not a positive integer: MLflow numbers versions 1, 2, 3, ...; fix or remove "
                "that version");
  }
  return number;
}

}  // namespace recsys::tracking
