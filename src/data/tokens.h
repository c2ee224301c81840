// Device tokens and scopes.
//
// A token is 32 random bytes shown once as "hth_" + base64url (no padding).
// Only its SHA-256 is stored, so a copy of the database cannot be used to
// talk to the node.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace hearth::data {

// Scopes are a bit set. admin implies every other scope.
enum Scope : uint32_t {
  kScopeIngest = 1u << 0,  // POST /v1/events, PUT /v1/blobs
  kScopeRead = 1u << 1,    // GET /v1/events, /v1/blobs/{id}, /v1/stats
  kScopeAdmin = 1u << 2,   // everything, including GET /v1/devices
};

// Parses "ingest,read,admin" (any order, no duplicates, at least one).
Result<uint32_t> ParseScopes(std::string_view text);
std::string ScopesToString(uint32_t scopes);
inline bool HasScope(uint32_t granted, Scope needed) {
  return (granted & kScopeAdmin) != 0 || (granted & needed) != 0;
}

// A fresh random token "hth_…" (libsodium's CSPRNG).
std::string GenerateToken();

// SHA-256 of the token text, as 32 raw bytes.
std::string HashToken(std::string_view token);

// Device names: 1..64 characters of [A-Za-z0-9._-].
Status ValidateDeviceName(std::string_view name);

// Hex encoding of raw bytes (lowercase).
std::string ToHex(std::string_view bytes);

}  // namespace hearth::data
