// OpenSSL's low-level MD5 interface is deprecated in 3.0 but is the only way to resume an MD5
// computation from a saved chaining state, which stored CRAM-MD5 secrets require.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "mail/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cstring>

#include "base/base64.hpp"
#include "base/error.hpp"
#include "base/random.hpp"

namespace ximssd::mail {

std::string hash_password(std::string_view password, const HashCost& cost) {
  char out[crypto_pwhash_STRBYTES];
  size_t memlimit = std::max<size_t>(cost.memlimit_kib * 1024, crypto_pwhash_MEMLIMIT_MIN);
  unsigned long long ops = std::max<unsigned long long>(cost.opslimit, crypto_pwhash_argon2id_OPSLIMIT_MIN);
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw Failure(ErrorCode::internal, "password hashing ran out of memory");
  return out;
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  char hash[crypto_pwhash_STRBYTES] = {};
  std::memcpy(hash, stored_hash.data(), stored_hash.size());
  return crypto_pwhash_str_verify(hash, password.data(), password.size()) == 0;
}

namespace {

constexpr size_t kMd5Block = 64;

// The MD5 state after one block of (key XOR pad): A, B, C, D as 4 little-endian words.
std::string md5_state_after_pad(std::string_view key, unsigned char pad) {
  unsigned char block[kMd5Block];
  std::memset(block, pad, sizeof block);
  for (size_t i = 0; i < key.size(); ++i) block[i] ^= static_cast<unsigned char>(key[i]);
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_Update(&ctx, block, sizeof block);
  std::string state(16, '\0');
  const MD5_LONG words[4] = {ctx.A, ctx.B, ctx.C, ctx.D};
  for (int i = 0; i < 4; ++i)
    for (int b = 0; b < 4; ++b) state[i * 4 + b] = static_cast<char>((words[i] >> (8 * b)) & 0xff);
  OPENSSL_cleanse(block, sizeof block);
  return state;
}

MD5_CTX resume_md5(std::string_view state) {
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_LONG words[4];
  for (int i = 0; i < 4; ++i) {
    words[i] = 0;
    for (int b = 0; b < 4; ++b)
      words[i] |= static_cast<MD5_LONG>(static_cast<unsigned char>(state[i * 4 + b])) << (8 * b);
  }
  ctx.A = words[0];
  ctx.B = words[1];
  ctx.C = words[2];
  ctx.D = words[3];
  ctx.Nl = kMd5Block * 8;  // one block already hashed
  return ctx;
}

std::string to_hex(const unsigned char* data, size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

}  // namespace

std::string make_cram_md5_secret(std::string_view password) {
  // HMAC keys longer than a block are hashed first (RFC 2104).
  unsigned char hashed[MD5_DIGEST_LENGTH];
  std::string_view key = password;
  if (key.size() > kMd5Block) {
    MD5(reinterpret_cast<const unsigned char*>(password.data()), password.size(), hashed);
    key = std::string_view(reinterpret_cast<const char*>(hashed), sizeof hashed);
  }
  return md5_state_after_pad(key, 0x36) + md5_state_after_pad(key, 0x5c);
}

bool verify_cram_md5(std::string_view secret, std::string_view challenge, std::string_view digest_hex) {
  if (secret.size() != 32) return false;
  MD5_CTX inner = resume_md5(secret.substr(0, 16));
  MD5_Update(&inner, challenge.data(), challenge.size());
  unsigned char inner_digest[MD5_DIGEST_LENGTH];
  MD5_Final(inner_digest, &inner);
  MD5_CTX outer = resume_md5(secret.substr(16, 16));
  MD5_Update(&outer, inner_digest, sizeof inner_digest);
  unsigned char digest[MD5_DIGEST_LENGTH];
  MD5_Final(digest, &outer);
  std::string expected = to_hex(digest, sizeof digest);
  std::string given(digest_hex);
  for (auto& c : given)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string make_scram_sha256(std::string_view password, unsigned iterations) {
  std::string salt = random_bytes(16);
  unsigned char salted[SHA256_DIGEST_LENGTH];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), EVP_sha256(), sizeof salted, salted) != 1)
    throw Failure(ErrorCode::internal, "PBKDF2 failed");
  auto hmac = [&](const char* text, unsigned char* out) {
    unsigned int len = SHA256_DIGEST_LENGTH;
    HMAC(EVP_sha256(), salted, sizeof salted, reinterpret_cast<const unsigned char*>(text),
         std::strlen(text), out, &len);
  };
  unsigned char client_key[SHA256_DIGEST_LENGTH], server_key[SHA256_DIGEST_LENGTH],
      stored_key[SHA256_DIGEST_LENGTH];
  hmac("Client Key", client_key);
  hmac("Server Key", server_key);
  SHA256(client_key, sizeof client_key, stored_key);
  OPENSSL_cleanse(salted, sizeof salted);
  return std::to_string(iterations) + ":" + base64_encode(salt) + ":" +
         to_hex(stored_key, sizeof stored_key) + ":" + to_hex(server_key, sizeof server_key);
}

std::optional<ScramSecret> parse_scram_sha256(std::string_view stored) {
  ScramSecret s;
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    size_t colon = stored.find(':');
    if (i < 3 && colon == std::string_view::npos) return std::nullopt;
    parts[i] = i < 3 ? stored.substr(0, colon) : stored;
    if (i < 3) stored.remove_prefix(colon + 1);
  }
  try {
    s.iterations = static_cast<unsigned>(std::stoul(std::string(parts[0])));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  s.salt_base64 = parts[1];
  s.stored_key_hex = parts[2];
  s.server_key_hex = parts[3];
  if (s.stored_key_hex.size() != 64 || s.server_key_hex.size() != 64) return std::nullopt;
  return s;
}

}  // namespace ximssd::mail
