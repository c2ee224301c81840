#include "data/tokens.h"

#include <sodium.h>

#include <fmt/format.h>

namespace hearth::data {

Result<uint32_t> ParseScopes(std::string_view text) {
  uint32_t scopes = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view name = text.substr(start, comma - start);
    uint32_t bit;
    if (name == "ingest") bit = kScopeIngest;
    else if (name == "read") bit = kScopeRead;
    else if (name == "admin") bit = kScopeAdmin;
    else return Status::InvalidArgument(fmt::format("unknown scope '{}' in '{}'; expected ingest, read or admin", name, text));
    if (scopes & bit) return Status::InvalidArgument(fmt::format("scope '{}' listed twice in '{}'", name, text));
    scopes |= bit;
    start = comma + 1;
  }
  return scopes;
}

std::string ScopesToString(uint32_t scopes) {
  std::string out;
  auto add = [&](uint32_t bit, const char* name) {
    if (scopes & bit) {
      if (!out.empty()) out += ',';
      out += name;
    }
  };
  add(kScopeIngest, "ingest");
  add(kScopeRead, "read");
  add(kScopeAdmin, "admin");
  return out;
}

std::string GenerateToken() {
  if (sodium_init() < 0) std::abort();  // no safe way to make a token without a CSPRNG
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return std::string("hth_") + encoded;
}

std::string HashToken(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

Status ValidateDeviceName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument("device name must be 1..64 characters");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return Status::InvalidArgument(fmt::format("device name '{}' may only hold letters, digits, '.', '_' and '-'", name));
  }
  return Status::Ok();
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace hearth::data
