// The store's test suite, written once and run against every backend: SQLite, and PostgreSQL
// when the test run provides a server (XIMSSD_TEST_PG, a libpq connection string; `make test`
// starts one). Each PostgreSQL case gets a database of its own.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <set>

#include "base/error.hpp"
#include "store/group_commit_writer.hpp"
#include "store/file_blob_store.hpp"
#include "store/store.hpp"
#include "pg_test_database.hpp"

using namespace ximssd;
using namespace ximssd::store;

namespace {

std::string temp_dir() {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("ximssd-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct BackendCase {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir, bool with_writer)> open;
  // Makes a stored body look older than any grace period.
  std::function<void(Store&, const std::string& blob_id)> age_blob;
};

std::string last_pg_database;  // the conninfo of the database the current PostgreSQL case opened

void age_blob_file(Store& store, const std::string& id) {
  auto path = dynamic_cast<FileBlobStore&>(store.blobs()).path(id);
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), old, 0), 0);
}

std::unique_ptr<Store> open_pg(const std::string& dir, bool with_writer, const std::string& blob_storage) {
  auto conninfo = testing_pg::create_database();
  if (!conninfo) return nullptr;
  last_pg_database = *conninfo;
  return Store::open(StoreOptions{dir, "postgres", *conninfo, "", blob_storage}, with_writer);
}

std::vector<BackendCase> backends() {
  return {{"sqlite", [](const std::string& dir, bool w) { return Store::open_embedded(dir, w); }, age_blob_file},
          {"postgres", [](const std::string& dir, bool w) { return open_pg(dir, w, "files"); }, age_blob_file},
          {"postgres_bodies_in_database", [](const std::string& dir, bool w) { return open_pg(dir, w, "database"); },
           [](Store&, const std::string& id) {
             testing_pg::run_sql(last_pg_database, "UPDATE blobs SET created = 1000 WHERE id = '" + id + "'");
           }}};
}

class StoreSuite : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    store_ = GetParam().open(dir_, true);
    if (!store_) GTEST_SKIP() << "no PostgreSQL server for the tests (XIMSSD_TEST_PG is not set)";
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Runs a write through the writer and waits for it to be durable.
  template <class F>
  void write_and_wait(F work, std::vector<StagedBlob> blobs = {}) {
    std::promise<void> done;
    store_->backend().submit([&](Repository& r) { work(r); },
                             [&](std::exception_ptr e) {
                               if (e) done.set_exception(e);
                               else done.set_value();
                             },
                             std::move(blobs));
    done.get_future().get();
  }
  int64_t make_account(const std::string& name) {
    int64_t id = 0;
    write_and_wait([&](Repository& r) {
      auto d = r.find_domain("example.dom");
      int64_t domain = d ? d->id : r.insert_domain("example.dom", false);
      id = r.insert_account(domain, name, "", StoredSecrets{"h", std::string(32, 'x'), "s"}, "", 1);
    });
    return id;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreSuite, GroupCommitBatchesConcurrentWritesAndIsolatesFailures) {
  constexpr int kWrites = 300;
  std::vector<std::promise<bool>> done(kWrites);
  for (int i = 0; i < kWrites; ++i) {
    store_->backend().submit(
        [i](Repository& r) {
          if (i == 7) throw std::runtime_error("this one fails");
          r.insert_domain("d" + std::to_string(i) + ".test", false);
        },
        [&done, i](std::exception_ptr e) { done[i].set_value(e == nullptr); }, {});
  }
  for (int i = 0; i < kWrites; ++i) EXPECT_EQ(done[i].get_future().get(), i != 7) << i;
  EXPECT_EQ(store_->backend().writes(), static_cast<uint64_t>(kWrites));
  EXPECT_LT(store_->backend().batches(), static_cast<uint64_t>(kWrites));  // several writes per commit
  EXPECT_EQ(store_->reader().list_domains().size(), static_cast<size_t>(kWrites - 1));
}

TEST_P(StoreSuite, RecordsLoginsAsPreviousAndLast) {
  int64_t id = make_account("user1");
  auto a = store_->reader().find_account("USER1", "Example.Dom");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, id);
  write_and_wait([&](Repository& r) {
    r.record_login(id, 100, "10.0.0.1");
    r.record_login(id, 200, "10.0.0.2");
  });
  a = store_->reader().find_account_by_id(id);
  ASSERT_TRUE(a->prev_login && a->last_login);
  EXPECT_EQ(a->prev_login->ip, "10.0.0.1");
  EXPECT_EQ(a->last_login->time, 200);
}

TEST_P(StoreSuite, AppendAssignsIncreasingUidsAndModseqs) {
  int64_t account = make_account("u");
  int64_t box = 0;
  write_and_wait([&](Repository& r) { box = r.insert_mailbox(account, "INBOX", "", false, r.next_uid_validity(10)); });
  std::vector<AppendedMessage> appended(5);
  for (int i = 0; i < 5; ++i) {
    std::string body = "Subject: m" + std::to_string(i) + "\n\nbody\n";
    auto blob = store_->blobs().stage(body);
    NewMessage m;
    m.mailbox_id = box;
    m.blob_id = blob.id;
    m.size = static_cast<int64_t>(body.size());
    m.internal_date = 1000 + i;
    m.flags = i % 2;  // Seen on odd ones
    m.header.imap_envelope = "(NIL \"m" + std::to_string(i) + "\" NIL NIL NIL NIL NIL NIL NIL NIL)";
    write_and_wait([&](Repository& r) { appended[i] = r.append_message(m); }, {blob});
    EXPECT_EQ(store_->blobs().read(blob.id), body);
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(appended[i].uid, i + 1);
  for (int i = 1; i < 5; ++i) EXPECT_GT(appended[i].modseq, appended[i - 1].modseq);
  auto box_row = store_->reader().find_mailbox_by_id(box);
  EXPECT_EQ(box_row->uid_next, 6);
  EXPECT_EQ(box_row->highest_modseq, appended[4].modseq);
  auto stats = store_->reader().mailbox_stats(box);
  EXPECT_EQ(stats.messages, 5);
  EXPECT_EQ(stats.unseen, 3);
  EXPECT_EQ(stats.oldest, 1000);
  auto rows = store_->reader().list_messages(box);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3].header.imap_envelope, "(NIL \"m3\" NIL NIL NIL NIL NIL NIL NIL NIL)");
  EXPECT_EQ(store_->reader().find_message(box, 2)->internal_date, 1001);
}

TEST_P(StoreSuite, UidValidityNeverRepeats) {
  std::set<int64_t> seen;
  for (int i = 0; i < 20; ++i)
    write_and_wait([&](Repository& r) { EXPECT_TRUE(seen.insert(r.next_uid_validity(5)).second); });
}

TEST_P(StoreSuite, AclEntriesKeepTheirOrderAndCascadeWithTheMailbox) {
  int64_t account = make_account("owner");
  int64_t box = 0;
  write_and_wait([&](Repository& r) {
    box = r.insert_mailbox(account, "Shared", "", false, 1);
    r.set_acl_entry(box, "user2", "l");
    r.set_acl_entry(box, "user1", "lr");
    r.set_acl_entry(box, "user2", "lrs");
  });
  auto acl = store_->reader().mailbox_acl(box);
  ASSERT_EQ(acl.size(), 2u);
  EXPECT_EQ(acl[0].pattern, "user2");
  EXPECT_EQ(acl[0].rights, "lrs");
  EXPECT_EQ(store_->reader().mailboxes_with_acl_patterns({"user1"}).size(), 1u);
  write_and_wait([&](Repository& r) { r.delete_mailbox(box); });
  EXPECT_TRUE(store_->reader().mailbox_acl(box).empty());
}

TEST_P(StoreSuite, GarbageCollectionRemovesOnlyOldUnreferencedBlobs) {
  int64_t account = make_account("g");
  int64_t box = 0;
  write_and_wait([&](Repository& r) { box = r.insert_mailbox(account, "INBOX", "", false, 1); });
  auto kept = store_->blobs().stage("referenced\n");
  auto orphan = store_->blobs().stage("orphan\n");
  auto young = store_->blobs().stage("young orphan\n");
  NewMessage m;
  m.mailbox_id = box;
  m.blob_id = kept.id;
  m.size = 11;
  write_and_wait([&](Repository& r) { r.append_message(m); }, {kept, orphan, young});
  // Age two of them past the grace period.
  for (auto* b : {&kept, &orphan}) GetParam().age_blob(*store_, b->id);
  auto report = store_->collect_garbage(std::chrono::hours(1));
  EXPECT_EQ(report.blobs_removed, 1u);
  EXPECT_TRUE(store_->blobs().exists(kept.id));
  EXPECT_FALSE(store_->blobs().exists(orphan.id));
  EXPECT_TRUE(store_->blobs().exists(young.id));
}

TEST_P(StoreSuite, FailedPublishFailsOnlyTheWritesWithBodies) {
  if (store_->blobs().stored_with_commit()) GTEST_SKIP() << "bodies are stored by the commit: no publish step";
  auto blob = store_->blobs().stage("x\n");
  ::close(blob.fd);
  blob.fd = 1 << 20;  // not an open file: linking it fails
  EXPECT_THROW(write_and_wait([](Repository& r) { r.insert_domain("a.test", false); }, {blob}), Failure);
  EXPECT_FALSE(store_->reader().find_domain("a.test"));
  write_and_wait([](Repository& r) { r.insert_domain("b.test", false); });
  EXPECT_TRUE(store_->reader().find_domain("b.test"));
}

TEST_P(StoreSuite, OrigUidsAttributesAndErasure) {
  int64_t account = make_account("o");
  int64_t box = 0;
  write_and_wait([&](Repository& r) { box = r.insert_mailbox(account, "Drafts", "", false, r.next_uid_validity(10)); });
  auto append = [&](std::optional<int64_t> orig_uid, std::string attributes) {
    std::string body = "Subject: d\n\nbody\n";
    auto blob = store_->blobs().stage(body);
    NewMessage m;
    m.mailbox_id = box;
    m.blob_id = blob.id;
    m.size = static_cast<int64_t>(body.size());
    m.orig_uid = orig_uid;
    m.attributes = std::move(attributes);
    m.header.imap_bodystructure = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL)";
    AppendedMessage out;
    write_and_wait([&](Repository& r) { out = r.append_message(m); }, {blob});
    return out.uid;
  };
  EXPECT_EQ(append(std::nullopt, ""), 1);
  EXPECT_EQ(append(1, "<attributes/>"), 2);
  auto& reader = store_->reader();
  // ORIGUID is the UID unless the message replaced one whose ORIGUID it keeps.
  EXPECT_EQ(reader.find_message(box, 1)->orig_uid, 1);
  EXPECT_EQ(reader.find_message(box, 2)->orig_uid, 1);
  EXPECT_EQ(reader.find_message_by_orig_uid(box, 1)->uid, 2);  // the newest
  EXPECT_FALSE(reader.find_message_by_orig_uid(box, 2));
  EXPECT_EQ(reader.find_message(box, 2)->header.imap_bodystructure.substr(0, 15), "(\"TEXT\" \"PLAIN\"");
  write_and_wait([&](Repository& r) { r.set_message_attributes(box, 1, "<attributes>x</attributes>"); });
  EXPECT_EQ(reader.find_message(box, 1)->attributes, "<attributes>x</attributes>");
  EXPECT_THROW(write_and_wait([&](Repository& r) { r.set_message_attributes(box, 9, "y"); }), Failure);
  bool erased = false, again = true;
  write_and_wait([&](Repository& r) {
    erased = r.erase_message(box, 1);
    again = r.erase_message(box, 1);
  });
  EXPECT_TRUE(erased);
  EXPECT_FALSE(again);
  EXPECT_FALSE(reader.find_message(box, 1));
  EXPECT_EQ(reader.list_messages(box).size(), 1u);
  // A UID is never handed out again, even after its message is gone.
  EXPECT_EQ(append(std::nullopt, ""), 3);
}

// STORE and the bulk writes: flags and keywords, UNCHANGEDSINCE, copies, erasures and the
// modseqs each takes.
TEST_P(StoreSuite, FlagsCopiesAndErasuresTakeModseqsInOrder) {
  int64_t account = make_account("f");
  int64_t box = 0, other = 0;
  write_and_wait([&](Repository& r) {
    box = r.insert_mailbox(account, "INBOX", "", false, r.next_uid_validity(10));
    other = r.insert_mailbox(account, "Other", "", false, r.next_uid_validity(10));
  });
  std::vector<StagedBlob> blobs;
  write_and_wait([&](Repository& r) {
    for (int i = 0; i < 4; ++i) {
      NewMessage m;
      m.mailbox_id = box;
      m.blob_id = std::string(64, static_cast<char>('a' + i));
      m.size = 10;
      m.keywords = i == 0 ? "Work" : "";
      r.append_message(m);
    }
  });
  auto& reader = store_->reader();
  int64_t before = reader.find_mailbox_by_id(box)->highest_modseq;

  FlagStore add_seen;
  add_seen.flags = 1;
  add_seen.keywords = {"work", "Later"};  // "work" is already there (keywords ignore case)
  FlagStoreResult result;
  write_and_wait([&](Repository& r) { result = r.store_flags(box, {3, 1, 99}, add_seen); });
  ASSERT_EQ(result.changed.size(), 2u);
  EXPECT_EQ(result.changed[0].uid, 3);  // in the order asked
  EXPECT_EQ(result.changed[0].modseq, before + 1);
  EXPECT_EQ(result.changed[1].uid, 1);
  EXPECT_EQ(result.changed[1].keywords, "Work Later");
  EXPECT_EQ(reader.find_message(box, 1)->keywords, "Work Later");
  EXPECT_EQ(reader.find_message(box, 3)->flags, 1u);
  EXPECT_EQ(reader.find_message(box, 3)->modseq, before + 1);

  FlagStore conditional;
  conditional.mode = FlagStore::Mode::remove;
  conditional.flags = 1;
  conditional.unchanged_since = before;  // 1 and 3 changed after it, 2 did not
  write_and_wait([&](Repository& r) { result = r.store_flags(box, {1, 2, 3}, conditional); });
  EXPECT_EQ(result.modified, (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(result.changed.empty());  // 2 had no \Seen to remove

  std::vector<FlagChange> flagged;
  write_and_wait([&](Repository& r) { flagged = r.update_flags(box, {2, 4}, 4, 0); });
  ASSERT_EQ(flagged.size(), 2u);
  EXPECT_EQ(flagged[1].modseq, flagged[0].modseq + 1);
  EXPECT_EQ(reader.find_message(box, 1)->keywords, "Work Later");  // keywords untouched

  std::vector<CopiedMessage> copies;
  write_and_wait([&](Repository& r) { copies = r.copy_messages(box, {4, 2, 42, 2}, other); });
  ASSERT_EQ(copies.size(), 2u);
  EXPECT_EQ(copies[0].source_uid, 2);
  EXPECT_EQ(copies[0].uid, 1);
  EXPECT_EQ(copies[1].source_uid, 4);
  EXPECT_EQ(copies[1].uid, 2);
  auto copy = reader.find_message(other, 2);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->flags, 4u);
  EXPECT_EQ(copy->orig_uid, 2);  // a copy's ORIGUID is its own UID
  EXPECT_EQ(copy->blob_id, std::string(64, 'd'));

  int64_t modseq = reader.find_mailbox_by_id(box)->highest_modseq;
  std::vector<int64_t> erased;
  write_and_wait([&](Repository& r) { erased = r.erase_messages(box, {3, 1, 77}); });
  EXPECT_EQ(erased, (std::vector<int64_t>{3, 1}));
  auto gone = reader.expunged_since(box, modseq);
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone[0].uid, 3);
  EXPECT_EQ(gone[0].modseq, modseq + 1);
  EXPECT_EQ(gone[1].uid, 1);
  EXPECT_EQ(reader.find_mailbox_by_id(box)->highest_modseq, modseq + 2);
  auto changed = reader.list_message_keys_since(box, modseq - 2);  // the two \Flagged; 1 and 3 are gone
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_EQ(changed[0].uid, 2);
  EXPECT_EQ(changed[1].uid, 4);

  int64_t moved = 0;
  write_and_wait([&](Repository& r) { moved = r.move_all_messages(box, other); });
  EXPECT_EQ(moved, 2);
  EXPECT_TRUE(reader.list_messages(box).empty());
  auto now_there = reader.list_message_keys(other);
  ASSERT_EQ(now_there.size(), 4u);
  EXPECT_EQ(now_there.back().uid, 4);
}

// A refused insert or rename is reported to the caller, who may go on in the same transaction.
TEST_P(StoreSuite, DuplicatesAreRefusedWithoutSpoilingTheTransaction) {
  int64_t account = make_account("d");
  write_and_wait([&](Repository& r) {
    int64_t a = r.insert_mailbox(account, "A", "", false, r.next_uid_validity(1));
    r.insert_mailbox(account, "B", "", false, r.next_uid_validity(1));
    EXPECT_THROW(r.insert_mailbox(account, "A", "", false, r.next_uid_validity(1)), Failure);
    EXPECT_THROW(r.rename_mailbox(a, "B"), Failure);
    EXPECT_THROW(r.insert_domain("EXAMPLE.dom", false), Failure);  // names ignore case
    r.rename_mailbox(a, "C");
    r.set_acl_entry(a, "Bob", "lr");
    r.set_acl_entry(a, "bob", "lrs");  // the same entry
    r.add_subscription(account, "C");
    r.add_subscription(account, "C");
  });
  auto& reader = store_->reader();
  auto c = reader.find_mailbox(account, "C");
  ASSERT_TRUE(c);
  EXPECT_FALSE(reader.find_mailbox(account, "A"));
  auto acl = reader.mailbox_acl(c->id);
  ASSERT_EQ(acl.size(), 1u);
  EXPECT_EQ(acl[0].rights, "lrs");
  EXPECT_EQ(reader.mailboxes_with_acl_patterns({"BOB"}).size(), 1u);
  EXPECT_EQ(reader.subscriptions(account), (std::vector<std::string>{"C"}));
  auto names = reader.list_mailboxes(account);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].name, "B");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreSuite, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
