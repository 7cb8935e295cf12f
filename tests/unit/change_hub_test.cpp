// The change hub: every live subscriber of a mailbox hears each change; dropped handles do not.
#include <gtest/gtest.h>

#include "mail/change_hub.hpp"

using namespace ximssd;

TEST(ChangeHub, TellsLiveSubscribersOfTheMailboxOnly) {
  mail::ChangeHub hub;
  int first = 0, second = 0, other = 0;
  auto a = hub.subscribe(1, [&] { ++first; });
  auto b = hub.subscribe(1, [&] { ++second; });
  auto c = hub.subscribe(2, [&] { ++other; });
  hub.publish(1, 7, "Box1");
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(other, 0);
  b.reset();
  hub.publish(1, 7, "Box1");
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(hub.subscribers(1), 1u);
  hub.publish(3, 7, "Box3");  // nobody watches it
  // A listener may subscribe from inside a publish without deadlock.
  std::shared_ptr<void> late;
  auto d = hub.subscribe(2, [&] { late = hub.subscribe(2, [&] { ++other; }); });
  hub.publish(2, 7, "Box2");
  EXPECT_EQ(other, 1);
  EXPECT_EQ(hub.subscribers(2), 3u);
}

TEST(ChangeHub, AccountListenersHearEveryMailboxOfTheAccount) {
  mail::ChangeHub hub;
  std::vector<std::string> heard;
  auto handle = hub.subscribe_account(7, [&](const std::string& name) { heard.push_back(name); });
  hub.publish(1, 7, "INBOX");
  hub.publish(2, 8, "Elsewhere");
  hub.publish(3, 7, "Sent");
  EXPECT_EQ(heard, (std::vector<std::string>{"INBOX", "Sent"}));
  handle.reset();
  hub.publish(1, 7, "INBOX");
  EXPECT_EQ(heard.size(), 2u);
}
