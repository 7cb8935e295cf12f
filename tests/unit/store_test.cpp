#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "store/account_records.hpp"
#include "store/database.hpp"

using namespace ximssd::store;

namespace {
std::string temp_db() {
  auto dir = std::filesystem::temp_directory_path() / ("ximssd-unit-" + std::to_string(::getpid()) + "-" +
                                                       std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return (dir / "t.db").string();
}
}  // namespace

TEST(GroupCommitWriter, BatchesConcurrentWritesAndIsolatesFailures) {
  auto path = temp_db();
  Database db(path, false);  // migrates
  GroupCommitWriter writer(path);
  constexpr int kWrites = 200;
  std::vector<std::promise<bool>> done(kWrites);
  for (int i = 0; i < kWrites; ++i) {
    writer.submit(
        [i](SqliteDb& sql) {
          if (i == 7) throw std::runtime_error("this one fails");
          accounts_sql::insert_domain(sql, "d" + std::to_string(i) + ".test", false);
        },
        [&done, i](std::exception_ptr e) { done[i].set_value(e == nullptr); });
  }
  for (int i = 0; i < kWrites; ++i) EXPECT_EQ(done[i].get_future().get(), i != 7) << i;
  EXPECT_EQ(writer.writes(), static_cast<uint64_t>(kWrites));
  EXPECT_LT(writer.batches(), static_cast<uint64_t>(kWrites));  // several writes per commit
  auto domains = accounts_sql::list_domains(db.reader());
  EXPECT_EQ(domains.size(), static_cast<size_t>(kWrites - 1));
}

TEST(AccountRecords, RecordsLoginsAsPreviousAndLast) {
  Database db(temp_db(), false);
  db.write_now([](SqliteDb& sql) {
    auto d = accounts_sql::insert_domain(sql, "example.dom", false);
    accounts_sql::insert_account(sql, d, "user1", "User J. Smith", StoredSecrets{"h", std::string(32, 'x'), "s"}, "", 1);
    return 0;
  });
  auto a = accounts_sql::find_account(db.reader(), "USER1", "Example.Dom");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->real_name, "User J. Smith");
  EXPECT_EQ(a->cram_md5_secret.size(), 32u);
  db.write_now([&](SqliteDb& sql) {
    accounts_sql::record_login(sql, a->id, 100, "10.0.0.1");
    accounts_sql::record_login(sql, a->id, 200, "10.0.0.2");
    return 0;
  });
  a = accounts_sql::find_account_by_id(db.reader(), a->id);
  ASSERT_TRUE(a->prev_login && a->last_login);
  EXPECT_EQ(a->prev_login->ip, "10.0.0.1");
  EXPECT_EQ(a->last_login->time, 200);
}
