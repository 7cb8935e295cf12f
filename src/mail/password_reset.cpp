#include "mail/password_reset.hpp"

#include <sodium.h>

#include "base/error.hpp"
#include "base/random.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"

namespace ximssd::mail {

namespace {

constexpr const char* kSetting = "PasswordReset";
constexpr size_t kSecretLength = 32;  // ~190 bits

std::string sha256_hex(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Failure invalid_link() { return Failure(ErrorCode::notFound, "this password reset link is invalid or has expired"); }

}  // namespace

bool PasswordReset::recently_issued(int64_t account_id) {
  auto stored = accounts_.setting(account_id, kSetting);
  if (!stored || stored->empty()) return false;
  size_t space = stored->find(' ');
  auto expiry = parse_decimal(std::string_view(*stored).substr(space == std::string::npos ? 0 : space + 1));
  return expiry && *expiry - lifetime_.count() + 60 > now_epoch_seconds();
}

boost::asio::awaitable<std::string> PasswordReset::issue(int64_t account_id) {
  std::string secret = random_alnum(kSecretLength);
  int64_t expiry = now_epoch_seconds() + lifetime_.count();
  co_await accounts_.set_setting(account_id, kSetting, sha256_hex(secret) + " " + std::to_string(expiry));
  co_return std::to_string(account_id) + "." + secret;
}

boost::asio::awaitable<std::string> PasswordReset::redeem(std::string token, std::string password) {
  size_t dot = token.find('.');
  auto id = parse_decimal(std::string_view(token).substr(0, dot));
  if (dot == std::string::npos || !id) throw invalid_link();
  std::string secret = token.substr(dot + 1);
  auto account = accounts_.find_account(*id);
  auto stored = account ? accounts_.setting(*id, kSetting) : std::nullopt;
  if (!stored || stored->empty()) throw invalid_link();
  size_t space = stored->find(' ');
  auto expiry = parse_decimal(std::string_view(*stored).substr(space == std::string::npos ? 0 : space + 1));
  std::string expected = stored->substr(0, space);
  std::string given = sha256_hex(secret);
  bool matches = expected.size() == given.size() && sodium_memcmp(expected.data(), given.data(), given.size()) == 0;
  if (!matches || !expiry || *expiry < now_epoch_seconds()) throw invalid_link();
  // The new password first (it may be refused, and the link then still works), then the token
  // goes: a second use finds nothing.
  co_await accounts_.change_password(*id, std::move(password));
  co_await accounts_.set_setting(*id, kSetting, "");
  co_return account->address();
}

}  // namespace ximssd::mail
