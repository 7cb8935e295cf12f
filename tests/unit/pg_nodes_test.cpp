// Two stores on one PostgreSQL database, as two nodes run them: concurrent appends to one
// mailbox, the change notifications between them, and a database that cannot be reached.
// Skipped when the test run provides no PostgreSQL server (XIMSSD_TEST_PG).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "base/error.hpp"
#include "pg_test_database.hpp"
#include "store/store.hpp"

using namespace ximssd;
using namespace ximssd::store;

namespace {

class PgNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conninfo = testing_pg::create_database();
    if (!conninfo) GTEST_SKIP() << "no PostgreSQL server for the tests (XIMSSD_TEST_PG is not set)";
    conninfo_ = *conninfo;
    dir_ = std::filesystem::temp_directory_path() / ("ximssd-pgnodes-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    StoreOptions options{dir_.string(), "postgres", conninfo_, (dir_ / "blobs").string()};
    a_ = Store::open(options);
    b_ = Store::open(options);
    a_->write_now([&](Repository& r) {
      int64_t domain = r.insert_domain("example.dom", false);
      int64_t account = r.insert_account(domain, "u", "", StoredSecrets{"h", std::string(32, 'x'), "s"}, "", 1);
      box_ = r.insert_mailbox(account, "INBOX", "", false, r.next_uid_validity(1));
    });
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(dir_);
  }
  static void write(Store& store, const std::function<void(Repository&)>& work) {
    std::promise<void> done;
    store.backend().submit([&](Repository& r) { work(r); },
                           [&](std::exception_ptr e) {
                             if (e) done.set_exception(e);
                             else done.set_value();
                           },
                           {});
    done.get_future().get();
  }
  static NewMessage message(int64_t box, int i) {
    NewMessage m;
    m.mailbox_id = box;
    m.blob_id = std::to_string(i);
    m.size = i;
    return m;
  }
  std::string conninfo_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> a_, b_;
  int64_t box_ = 0;
};

TEST_F(PgNodes, ConcurrentAppendsThroughTwoNodesGetDistinctIncreasingUids) {
  constexpr int kPerThread = 150;
  std::mutex mutex;
  std::vector<AppendedMessage> acknowledged;
  auto appender = [&](Store& store, int first) {
    for (int i = 0; i < kPerThread; ++i) {
      AppendedMessage appended;
      write(store, [&](Repository& r) { appended = r.append_message(message(box_, first + i)); });
      std::lock_guard lock(mutex);
      acknowledged.push_back(appended);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(appender, std::ref(t % 2 ? *a_ : *b_), t * 1000);
  for (auto& t : threads) t.join();
  std::set<int64_t> uids, modseqs;
  for (const auto& a : acknowledged) {
    uids.insert(a.uid);
    modseqs.insert(a.modseq);
  }
  EXPECT_EQ(uids.size(), acknowledged.size());     // no UID handed out twice
  EXPECT_EQ(modseqs.size(), acknowledged.size());  // nor a modseq
  auto rows = b_->reader().list_message_keys(box_);
  ASSERT_EQ(rows.size(), acknowledged.size());
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1].uid, rows[i].uid);
  auto mailbox = a_->reader().find_mailbox_by_id(box_);
  EXPECT_EQ(mailbox->uid_next, *uids.rbegin() + 1);
  EXPECT_EQ(mailbox->highest_modseq, *modseqs.rbegin());
  // UID order is commit order: a later UID never has a lower modseq.
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1].modseq, rows[i].modseq);
}

TEST_F(PgNodes, ConcurrentFlagChangesThroughTwoNodesLoseNothing) {
  write(*a_, [&](Repository& r) { r.append_message(message(box_, 1)); });
  // Each node sets its own bit on the same message, many times over: neither may undo the other's.
  auto flipper = [&](Store& store, uint32_t bit) {
    for (int i = 0; i < 100; ++i) {
      write(store, [&](Repository& r) { r.update_flags(box_, {1}, bit, 0); });
      write(store, [&](Repository& r) { r.update_flags(box_, {1}, 0, bit); });
    }
    write(store, [&](Repository& r) { r.update_flags(box_, {1}, bit, 0); });
  };
  std::thread one(flipper, std::ref(*a_), 2u), two(flipper, std::ref(*b_), 8u);
  one.join();
  two.join();
  EXPECT_EQ(a_->reader().find_message(box_, 1)->flags, 10u);
}

TEST_F(PgNodes, ChangesCommittedOnOneNodeAreAnnouncedToTheOther) {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<int64_t> seen_by_b, seen_by_a;
  b_->backend().watch_remote_changes([&](const std::vector<int64_t>& ids, bool) {
    std::lock_guard lock(mutex);
    seen_by_b.insert(seen_by_b.end(), ids.begin(), ids.end());
    arrived.notify_all();
  });
  a_->backend().watch_remote_changes([&](const std::vector<int64_t>& ids, bool) {
    std::lock_guard lock(mutex);
    seen_by_a.insert(seen_by_a.end(), ids.begin(), ids.end());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // both listeners are LISTENing
  write(*a_, [&](Repository& r) { r.append_message(message(box_, 1)); });
  std::unique_lock lock(mutex);
  ASSERT_TRUE(arrived.wait_for(lock, std::chrono::seconds(5), [&] { return !seen_by_b.empty(); }));
  EXPECT_EQ(seen_by_b, std::vector<int64_t>{box_});
  lock.unlock();
  // A write that changes no message (an account setting) announces nothing; a failed one neither.
  write(*a_, [&](Repository& r) { r.set_server_setting("k", "v"); });
  EXPECT_THROW(write(*a_, [&](Repository& r) {
                 r.append_message(message(box_, 2));
                 throw Failure(ErrorCode::internal, "rolled back");
               }),
               Failure);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  lock.lock();
  EXPECT_EQ(seen_by_b.size(), 1u);
  EXPECT_TRUE(seen_by_a.empty());  // a node does not hear its own changes
}

TEST(PgUnreachable, OpeningAStoreOnADatabaseThatIsDownFailsAtOnceWithAClearError) {
  auto started = std::chrono::steady_clock::now();
  try {
    // Port 1 on loopback: nothing listens there.
    Store::open(StoreOptions{std::filesystem::temp_directory_path().string(), "postgres",
                             "host=127.0.0.1 port=1 dbname=none user=none",
                             (std::filesystem::temp_directory_path() / "ximssd-unreachable-blobs").string()},
                false);
    FAIL() << "opened a store on a database that is not there";
  } catch (const Failure& f) {
    EXPECT_EQ(f.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(f.what()).find("the database is unavailable"), std::string::npos) << f.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

}  // namespace
