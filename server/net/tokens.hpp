// Secrets: room ids and role tokens from the OS CSPRNG, kept only as SHA-256 hashes.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace mockroom::net {

using token_hash = std::array<unsigned char, 32>;

// `bytes` random bytes from the OS CSPRNG, base64url without padding. Throws if the CSPRNG
// fails (nothing secret may be made from a weak source).
std::string random_token(std::size_t bytes);
token_hash hash_token(std::string_view token);
// Constant time in the contents (the length is public: always 32).
bool same_hash(const token_hash& a, const token_hash& b);

}  // namespace mockroom::net
