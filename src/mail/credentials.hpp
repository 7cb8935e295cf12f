// What the server stores in place of a password, and how it checks each form.
//  - argon2id (libsodium) for cleartext logins: the only form that can verify a typed password.
//  - CRAM-MD5: the mechanism needs HMAC-MD5 keyed with the password, so the server keeps the two
//    MD5 chaining states after the HMAC ipad/opad blocks (32 bytes). They let the server compute
//    HMAC-MD5(password, challenge) without the password itself; they are password-equivalent
//    for CRAM-MD5 only (see docs/SECURITY.md).
//  - SCRAM-SHA-256: salt, iteration count, StoredKey and ServerKey (RFC 5802/7677).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd::mail {

struct HashCost {
  unsigned long long opslimit = 2;  // argon2id passes
  size_t memlimit_kib = 19456;      // 19 MiB, the OWASP minimum for argon2id with 2 passes
};

std::string hash_password(std::string_view password, const HashCost& cost);
bool verify_password(std::string_view stored_hash, std::string_view password);

std::string make_cram_md5_secret(std::string_view password);
// `digest_hex` is the client's lower-case hex HMAC-MD5 of the challenge.
bool verify_cram_md5(std::string_view secret, std::string_view challenge, std::string_view digest_hex);

struct ScramSecret {
  unsigned iterations = 0;
  std::string salt_base64;
  std::string stored_key_hex;
  std::string server_key_hex;
};
std::string make_scram_sha256(std::string_view password, unsigned iterations = 4096);
std::optional<ScramSecret> parse_scram_sha256(std::string_view stored);

}  // namespace ximssd::mail
