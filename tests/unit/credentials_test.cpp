#include <gtest/gtest.h>
#include <sodium.h>

#include "base/base64.hpp"
#include "mail/credentials.hpp"

using namespace ximssd;
using namespace ximssd::mail;

namespace {
const HashCost kCheap{1, 8};
}

TEST(Credentials, Argon2idVerifiesOnlyTheRightPassword) {
  ASSERT_GE(sodium_init(), 0);
  auto hash = hash_password("123rtu", kCheap);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(hash, "123rtu"));
  EXPECT_FALSE(verify_password(hash, "123rtU"));
  EXPECT_FALSE(verify_password("", "123rtu"));
}

// The example exchange of RFC 2195 section 2, which the XIMSS reference also uses.
TEST(Credentials, CramMd5MatchesRfc2195Example) {
  auto secret = make_cram_md5_secret("tanstaaftanstaaf");
  ASSERT_EQ(secret.size(), 32u);
  const std::string challenge = "<1896.697170952@postoffice.reston.mci.net>";
  EXPECT_TRUE(verify_cram_md5(secret, challenge, "b913a602c7eda7a495b4e6e7334d3890"));
  EXPECT_TRUE(verify_cram_md5(secret, challenge, "B913A602C7EDA7A495B4E6E7334D3890"));
  EXPECT_FALSE(verify_cram_md5(secret, challenge, "b913a602c7eda7a495b4e6e7334d3891"));
  EXPECT_FALSE(verify_cram_md5(secret, challenge + "x", "b913a602c7eda7a495b4e6e7334d3890"));
  EXPECT_FALSE(verify_cram_md5(make_cram_md5_secret("other"), challenge, "b913a602c7eda7a495b4e6e7334d3890"));
  // The seed's example challenge is exactly this string, base64-encoded.
  EXPECT_EQ(base64_encode(challenge), "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
}

TEST(Credentials, CramMd5HandlesKeysLongerThanABlock) {
  std::string long_password(100, 'k');
  auto secret = make_cram_md5_secret(long_password);
  EXPECT_FALSE(verify_cram_md5(secret, "<1@x>", "00000000000000000000000000000000"));
}

TEST(Credentials, ScramSecretHasTheStoredForm) {
  auto stored = make_scram_sha256("pencil", 4096);
  auto parsed = parse_scram_sha256(stored);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->iterations, 4096u);
  EXPECT_EQ(base64_decode(parsed->salt_base64)->size(), 16u);
  EXPECT_EQ(parsed->stored_key_hex.size(), 64u);
  EXPECT_NE(make_scram_sha256("pencil"), stored);  // fresh salt each time
  EXPECT_FALSE(parse_scram_sha256("garbage"));
}
