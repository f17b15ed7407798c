#include "data/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace recsys {

struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
};

namespace {

// Starts a SHA-256 computation on `md`; OpenSSL fails here only when out of memory.
void init_sha256(EVP_MD_CTX* md) {
  if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL failed to start a SHA-256 computation");
  }
}

}  // namespace

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->md = EVP_MD_CTX_new();
  init_sha256(context_->md);
}

Sha256::~Sha256() {
  if (context_) {
    EVP_MD_CTX_free(context_->md);
  }
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    if (context_) {
      EVP_MD_CTX_free(context_->md);
    }
    context_ = std::move(other.context_);
  }
  return *this;
}

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(context_->md, bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("OpenSSL failed to update a SHA-256 computation");
  }
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->md, digest.data(), &length) != 1) {
    throw std::runtime_error("OpenSSL failed to finish a SHA-256 computation");
  }
  init_sha256(context_->md);

  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0F]);
  }
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.hex_digest();
}

}  // namespace recsys
