#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/login_throttle.hpp"
#include "mail/names.hpp"
#include "base/error.hpp"

using namespace ximssd;

TEST(Base64, EncodesAndDecodes) {
  EXPECT_EQ(base64_encode("tim b913a602c7eda7a495b4e6e7334d3890"), "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_EQ(*base64_decode("YQ=="), "a");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_FALSE(base64_decode("YW I="));
  EXPECT_FALSE(base64_decode("abc"));
}

TEST(Text, ValidatesUtf8) {
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"));  // Привет
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3\x28"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
}

TEST(TimeFormat, FormatsAndParsesXimssTimestamps) {
  auto t = parse_ximss_time("20070502T083313");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_ximss_time(*t), "20070502T083313");
  EXPECT_EQ(*parse_ximss_time("20070502T083313Z"), *t);
  EXPECT_FALSE(parse_ximss_time("20071302T083313"));
  EXPECT_FALSE(parse_ximss_time("2007-05-02"));
  // Daylight saving time applies: UTC-7 in Los Angeles, UTC+2 in Berlin in May.
  EXPECT_EQ(format_local_time(*t, "America/Los_Angeles"), "20070502T013313");
  EXPECT_EQ(format_local_time(*t, "Europe/Berlin"), "20070502T103313");
  EXPECT_TRUE(is_known_time_zone("Asia/Tokyo"));
  EXPECT_FALSE(is_known_time_zone("Mars/Olympus"));
}

TEST(Names, AcceptsReasonableNamesAndRejectsOthers) {
  EXPECT_NO_THROW(mail::check_account_name("user1.j-smith_x"));
  EXPECT_THROW(mail::check_account_name(""), Failure);
  EXPECT_THROW(mail::check_account_name("a b"), Failure);
  EXPECT_THROW(mail::check_account_name(".a"), Failure);
  EXPECT_NO_THROW(mail::check_domain_name("example.dom"));
  EXPECT_THROW(mail::check_domain_name("-bad.dom"), Failure);
  EXPECT_THROW(mail::check_domain_name("a..b"), Failure);
  EXPECT_THROW(mail::check_password_text(""), Failure);
  EXPECT_THROW(mail::check_password_text("a\nb"), Failure);
}

TEST(LoginThrottle, DelayGrowsPerFailureAndClearsOnSuccess) {
  using std::chrono::milliseconds;
  mail::LoginThrottle throttle(milliseconds(100), milliseconds(1000));
  EXPECT_EQ(throttle.delay_for("u@d", "1.2.3.4").count(), 0);
  throttle.record_failure("u@d", "1.2.3.4");
  EXPECT_EQ(throttle.delay_for("u@d", "5.6.7.8").count(), 100);  // by account
  EXPECT_EQ(throttle.delay_for("v@d", "1.2.3.4").count(), 100);  // by address
  throttle.record_failure("u@d", "1.2.3.4");
  throttle.record_failure("u@d", "1.2.3.4");
  EXPECT_EQ(throttle.delay_for("u@d", "9.9.9.9").count(), 400);
  for (int i = 0; i < 10; ++i) throttle.record_failure("u@d", "1.2.3.4");
  EXPECT_EQ(throttle.delay_for("u@d", "9.9.9.9").count(), 1000);  // capped
  throttle.record_success("u@d");
  EXPECT_EQ(throttle.delay_for("u@d", "9.9.9.9").count(), 0);
}
