#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace recsys {

// An incremental SHA-256 (OpenSSL EVP), for fingerprints and download checksums.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);

  // Finishes the hash and returns it as 64 lowercase hex digits; the object is then reset.
  std::string hex_digest();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Returns the SHA-256 of `bytes` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace recsys
