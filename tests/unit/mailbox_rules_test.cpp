// Mailbox names, list patterns, access rights and ACL evaluation, flags, and the mbox reader.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "mail/acl.hpp"
#include "mail/mailbox_name.hpp"
#include "mail/mbox_import.hpp"
#include "mail/message_flags.hpp"

using namespace ximssd;
using namespace ximssd::mail;

TEST(MailboxName, CanonicalFormAndErrors) {
  EXPECT_EQ(canonical_mailbox_name("inbox"), "INBOX");
  EXPECT_EQ(canonical_mailbox_name("Inbox/Sub"), "INBOX/Sub");
  EXPECT_EQ(canonical_mailbox_name("Inboxes"), "Inboxes");
  EXPECT_EQ(canonical_mailbox_name("Отправленные/2024"), "Отправленные/2024");
  for (const std::string& bad : std::vector<std::string>{"", "/a", "a/", "a//b", "..", "a/./b", "a\x01", "\xff", "~x/y",
                          std::string(600, 'a'), "a/" + std::string(256, 'b')})
    EXPECT_THROW(canonical_mailbox_name(bad), Failure) << bad;
}

TEST(MailboxName, ForeignNames) {
  auto f = split_foreign_name("~Bob@Example.DOM/Shared/Notes");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->account, "bob");
  EXPECT_EQ(f->domain, "example.dom");
  EXPECT_EQ(f->mailbox, "Shared/Notes");
  f = split_foreign_name("~bob/INBOX");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->domain, "");
  EXPECT_FALSE(split_foreign_name("INBOX"));
}

TEST(MailboxName, ListPatterns) {
  EXPECT_TRUE(mailbox_pattern_matches("*", "a/b/c"));
  EXPECT_TRUE(mailbox_pattern_matches("%", "abc"));
  EXPECT_FALSE(mailbox_pattern_matches("%", "a/b"));
  EXPECT_TRUE(mailbox_pattern_matches("a/%", "a/b"));
  EXPECT_FALSE(mailbox_pattern_matches("a/%", "a/b/c"));
  EXPECT_TRUE(mailbox_pattern_matches("a/*", "a/b/c"));
  EXPECT_TRUE(mailbox_pattern_matches("*c", "a/b/c"));
  EXPECT_TRUE(mailbox_pattern_matches("%/%/c", "a/b/c"));
  EXPECT_TRUE(mailbox_pattern_matches("*%x", "ab/cx"));
  EXPECT_FALSE(mailbox_pattern_matches("INBOX", "INBOXES"));
  EXPECT_TRUE(mailbox_pattern_matches("", ""));
  EXPECT_FALSE(mailbox_pattern_matches("", "a"));
  // No exponential backtracking on hostile patterns.
  EXPECT_FALSE(mailbox_pattern_matches(std::string(200, '*') + "b", std::string(500, 'a')));
}

TEST(MailboxName, Hierarchy) {
  EXPECT_EQ(parent_mailbox_name("a/b/c"), "a/b");
  EXPECT_EQ(parent_mailbox_name("a"), "");
  EXPECT_TRUE(is_same_or_below("a/b", "a"));
  EXPECT_TRUE(is_same_or_below("a", "a"));
  EXPECT_FALSE(is_same_or_below("ab", "a"));
}

TEST(Acl, RightsLettersAndLegacyLetters) {
  EXPECT_EQ(rights_text(right::all), "lrswipkxteacd");
  EXPECT_EQ(rights_text(parse_rights("lr")), "lr");
  EXPECT_EQ(parse_rights("d"), right::delete_box | right::delete_msg | right::expunge);
  EXPECT_EQ(parse_rights("c"), right::create);
  EXPECT_THROW(parse_rights("lz"), Failure);
}

TEST(Acl, UpdatesKeepTheLettersAsGiven) {
  EXPECT_EQ(updated_rights_text("lr", "add", "di"), "lrdi");  // the reference's example
  EXPECT_EQ(updated_rights_text("lr", "sub", "r"), "l");
  EXPECT_EQ(updated_rights_text("lr", "", "wi"), "wi");
  EXPECT_EQ(updated_rights_text("ld", "sub", "x"), "lte");  // "d" loses only x
  EXPECT_EQ(updated_rights_text("l", "sub", "r"), "l");
  EXPECT_THROW(updated_rights_text("l", "add", "?"), Failure);
}

TEST(Acl, EffectiveRights) {
  Identity owner{"alice", "a.dom"}, bob{"bob", "a.dom"}, bob_elsewhere{"bob", "b.dom"};
  std::vector<store::AclEntry> acl = {{"bob", "lrw"}, {"anyone", "l"}, {"-bob", "w"}};
  EXPECT_EQ(effective_rights(owner, owner, acl), right::all);
  EXPECT_EQ(effective_rights(bob, owner, acl), right::lookup | right::read);
  EXPECT_EQ(effective_rights(bob_elsewhere, owner, acl), right::lookup);  // "bob" means bob@a.dom
  EXPECT_EQ(effective_rights(bob_elsewhere, owner, {{"bob@b.dom", "lr"}}), right::lookup | right::read);
  EXPECT_EQ(effective_rights(bob, owner, {}), 0u);
  EXPECT_NO_THROW(check_acl_pattern("-user.name@example.dom"));
  EXPECT_NO_THROW(check_acl_pattern("anyone"));
  EXPECT_THROW(check_acl_pattern("bad name"), Failure);
  EXPECT_THROW(check_acl_pattern("-"), Failure);
}

TEST(MessageFlags, NamesAndBits) {
  EXPECT_EQ(parse_flag_list("Seen, answered"), kSeen | kAnswered);
  EXPECT_EQ(flag_names(kSeen | kDraft), "Seen,Draft");
  EXPECT_THROW(parse_flag_list("Seen,Bogus"), Failure);
  EXPECT_EQ(parse_flag_list(""), 0u);
}

TEST(MboxReader, SeparatorsQuotingAndLineEnds) {
  auto path = std::filesystem::temp_directory_path() / ("ximssd-mbox-" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    out << "From a@b Thu Jan  1 00:00:00 2015\r\nSubject: one\r\n\r\n>From here\r\n>>From there\r\n\r\n"
        << "From b@c Fri Jan  2 10:00:00 2015\nSubject: two\n\nlast line without a blank line after";
  }
  std::vector<IncomingMessage> got;
  read_mbox(path.string(), [&](IncomingMessage&& m) { got.push_back(std::move(m)); });
  std::filesystem::remove(path);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bytes, "Subject: one\n\nFrom here\n>From there\n");
  EXPECT_EQ(got[0].internal_date, 1420070400);
  EXPECT_EQ(got[1].bytes, "Subject: two\n\nlast line without a blank line after");
  EXPECT_EQ(got[1].internal_date, 1420192800);
}
