// The IMAP server's pieces that need no network: flags between IMAP and the store, the shared
// mailbox version and how a selected session reports changes (EXPUNGE/VANISHED, FETCH, EXISTS,
// RECENT, and the rule that EXPUNGE waits after sequence-number commands), \Recent, COMPRESS.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <future>
#include <zlib.h>

#include "imap/command_parser.hpp"
#include "imap/server/deflate_stream.hpp"
#include "imap/server/imap_flags.hpp"
#include "imap/server/recent_tracker.hpp"
#include "imap/server/selected_mailbox.hpp"
#include "mail/change_hub.hpp"
#include "mail/message_flags.hpp"
#include "store/store.hpp"

using namespace ximssd;
using namespace ximssd::imap;

namespace {

TEST(ImapFlags, SystemFlagsAndKeywordsRoundTrip) {
  auto parsed = parse_flags({"\\Seen", "\\flagged", "$Junk", "work", "WORK", "\\Recent"});
  EXPECT_EQ(parsed.bits, mail::kSeen | mail::kFlagged | mail::kJunk);
  ASSERT_EQ(parsed.keywords.size(), 1u);  // duplicates compare case-insensitively
  EXPECT_EQ(parsed.keywords[0], "work");
  std::string out;
  append_flag_list(out, parsed.bits | mail::kMedia, "work", true);
  EXPECT_EQ(out, "(\\Flagged \\Seen $Junk \\Recent work)");  // Media is XIMSS's own
  EXPECT_THROW(parse_flags({"\\Bogus"}), SyntaxError);
  EXPECT_FALSE(imap_flag_mask() & mail::kMedia);
}

TEST(RecentTracker, EachMessageIsRecentInOneSessionOnly) {
  RecentTracker t;
  EXPECT_EQ(t.claim(1, 10, 10), 10u);  // first sight: nothing recent
  EXPECT_EQ(t.claim(1, 12, 0), 10u);   // 11 and 12 are recent for this caller
  EXPECT_EQ(t.claim(1, 12, 0), 12u);   // and for nobody else
  EXPECT_EQ(t.mark(1, 0), 12u);
}

TEST(Deflate, RoundTripsFlushedChunks) {
  Deflater d;
  Inflater i;
  std::string wire, plain;
  for (int n = 0; n < 50; ++n) {
    std::string chunk = "* " + std::to_string(n) + " FETCH (FLAGS (\\Seen))\r\n";
    wire.clear();
    d.compress(chunk, wire);
    std::string got;
    ASSERT_TRUE(i.decompress(wire, got));
    EXPECT_EQ(got, chunk);  // each write decodes on its own (Z_SYNC_FLUSH)
    plain += got;
  }
  std::string garbage = "\xff\xff\xff\xff not deflate";
  Inflater fresh;
  std::string ignored;
  EXPECT_FALSE(fresh.decompress(garbage, ignored));
}

std::string temp_dir() {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("ximssd-imap-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

class SelectedMailboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    store_ = store::Store::open_embedded(dir_, true);
    index_ = std::make_unique<MailboxIndex>(*store_, hub_);
    write([&](store::Repository& r) {
      int64_t domain = r.insert_domain("example.dom", false);
      account_ = r.insert_account(domain, "u", "", store::StoredSecrets{"h", std::string(32, 'x'), "s"}, "", 1);
      box_ = r.insert_mailbox(account_, "INBOX", "", false, r.next_uid_validity(10));
    });
    for (int i = 0; i < 5; ++i) append();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  template <class F>
  void write(F work) {
    std::promise<void> done;
    store_->backend().submit([&](store::Repository& r) { work(r); },
                             [&](std::exception_ptr e) {
                               if (e) done.set_exception(e);
                               else done.set_value();
                             },
                             {});
    done.get_future().get();
  }
  // A change made by "another session": written, then published as the services do.
  template <class F>
  void change(F work) {
    write(work);
    hub_.publish(box_, account_, "INBOX");
  }
  void append() {
    change([&](store::Repository& r) {
      store::NewMessage m;
      m.mailbox_id = box_;
      m.blob_id = "0000";
      m.size = 10;
      r.append_message(m);
    });
  }
  SelectedMailbox select(bool read_only = false) {
    mail::FolderView view;
    view.mailbox.record = store_->reader().find_mailbox_by_id(box_);
    return SelectedMailbox(std::move(view), read_only, *index_, recent_, nullptr);
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  mail::ChangeHub hub_;
  RecentTracker recent_;
  std::unique_ptr<MailboxIndex> index_;
  int64_t account_ = 0, box_ = 0;
};

TEST_F(SelectedMailboxTest, ReportsNewMessagesFlagChangesAndExpunges) {
  auto s = select();
  EXPECT_EQ(s.count(), 5u);
  EXPECT_EQ(s.recent_count(), 5u);  // the first session to select takes the recent messages
  EXPECT_EQ(select().recent_count(), 0u);  // and no other session gets them
  std::string out;
  s.sync(out, {});
  EXPECT_EQ(out, "");  // nothing changed

  append();
  change([&](store::Repository& r) { r.update_flags(box_, {2}, mail::kSeen, 0); });
  out.clear();
  s.sync(out, {});
  EXPECT_EQ(out, "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))\r\n* 6 EXISTS\r\n* 6 RECENT\r\n");
  EXPECT_TRUE(s.is_recent(6));

  change([&](store::Repository& r) { r.erase_messages(box_, {2, 4}); });
  out.clear();
  s.sync(out, {});
  EXPECT_EQ(out, "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\n");  // highest first: no renumbering between them
  EXPECT_EQ(s.count(), 4u);
  EXPECT_EQ(s.uid_at(1), 3u);
}

TEST_F(SelectedMailboxTest, ExpungeWaitsAfterSequenceNumberCommands) {
  auto s = select();
  change([&](store::Repository& r) { r.erase_messages(box_, {1}); });
  append();
  change([&](store::Repository& r) { r.update_flags(box_, {3}, mail::kFlagged, 0); });
  std::string out;
  s.sync(out, SyncOptions{false, false, false});
  // Numbers stay as the client knows them: message 1 is still there for it.
  EXPECT_EQ(out, "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent))\r\n* 6 EXISTS\r\n* 6 RECENT\r\n");
  EXPECT_EQ(s.count(), 6u);
  EXPECT_EQ(s.uid_at(0), 1u);
  out.clear();
  s.sync(out, SyncOptions{true, true, false});
  // The flag change and the new message are not told twice; the new HIGHESTMODSEQ only now.
  auto highest = store_->reader().find_mailbox_by_id(box_)->highest_modseq;
  EXPECT_EQ(out, "* 1 EXPUNGE\r\n* OK [HIGHESTMODSEQ " + std::to_string(highest) + "] Highest\r\n");
  EXPECT_EQ(s.count(), 5u);
  EXPECT_EQ(s.uid_at(4), 6u);
}

TEST_F(SelectedMailboxTest, QresyncSessionsGetVanishedAndModseqs) {
  auto s = select();
  change([&](store::Repository& r) { r.erase_messages(box_, {2, 3}); });
  change([&](store::Repository& r) { r.update_flags(box_, {5}, mail::kDeleted, 0); });
  std::string out;
  s.sync(out, SyncOptions{true, true, true});
  auto modseq = store_->reader().find_message(box_, 5)->modseq;
  EXPECT_EQ(out, "* VANISHED 2:3\r\n* 3 FETCH (UID 5 FLAGS (\\Deleted \\Recent) MODSEQ (" + std::to_string(modseq) +
                     "))\r\n* OK [HIGHESTMODSEQ " + std::to_string(modseq) + "] Highest\r\n");
}

TEST_F(SelectedMailboxTest, KeywordsAndUnchangedSinceThroughTheStore) {
  auto s = select();  // follows every change below
  auto before = store_->reader().find_mailbox_by_id(box_)->highest_modseq;  // every message is at or below it
  store::FlagStore edit;
  edit.flags = mail::kSeen;
  edit.keywords = {"$Forwarded", "work"};
  store::FlagStoreResult result;
  change([&](store::Repository& r) { result = r.store_flags(box_, {1, 2}, edit); });
  ASSERT_EQ(result.changed.size(), 2u);
  EXPECT_EQ(result.changed[0].keywords, "$Forwarded work");
  EXPECT_GT(result.changed[0].modseq, before);

  store::FlagStore remove;
  remove.mode = store::FlagStore::Mode::remove;
  remove.keywords = {"WORK"};
  remove.unchanged_since = before;  // message 1 changed since: left alone and reported
  change([&](store::Repository& r) { result = r.store_flags(box_, {1, 3}, remove); });
  EXPECT_EQ(result.modified, std::vector<int64_t>{1});
  EXPECT_TRUE(result.changed.empty());  // message 3 has no such keyword

  store::FlagStore replace;
  replace.mode = store::FlagStore::Mode::replace;
  replace.flags = mail::kFlagged;
  replace.replaced = imap_flag_mask();
  change([&](store::Repository& r) {
    r.update_flags(box_, {2}, mail::kMedia, 0);
    result = r.store_flags(box_, {2}, replace);
  });
  auto row = store_->reader().find_message(box_, 2);
  EXPECT_EQ(row->flags, mail::kFlagged | mail::kMedia);  // bits IMAP does not govern stay
  EXPECT_EQ(row->keywords, "");

  // The version built by following changes equals one read from scratch.
  auto followed = s.now();
  MailboxIndex fresh(*store_, hub_);
  auto entry = fresh.follow(box_);
  auto loaded = fresh.current(*entry);
  EXPECT_EQ(followed->uids, loaded->uids);
  EXPECT_EQ(followed->flags, loaded->flags);
  EXPECT_EQ(followed->modseqs, loaded->modseqs);
  EXPECT_EQ(followed->keywords_of(0), "$Forwarded work");
  auto since = store_->reader().list_message_keys_since(box_, before);
  EXPECT_EQ(since.size(), 2u);  // messages 1 and 2 changed after `before`
}

}  // namespace
