#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/config.hpp"

using namespace ximssd::server;

TEST(Config, DefaultsNeedNoFile) {
  auto c = load_config("/nonexistent-ximssd-dir", std::nullopt, {});
  EXPECT_EQ(c.ximss_port, 11024);
  EXPECT_EQ(c.ximss.max_message_size, 1u << 20);
  EXPECT_EQ(c.ximss.idle_timeout.count(), 600);
}

TEST(Config, FileSetsListenersLimitsTlsDataAndLogLevelAndSetOverrides) {
  auto dir = std::filesystem::temp_directory_path() / ("ximssd-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "x.toml";
  std::ofstream(file) << "[server]\ndata_dir = \"/srv/mail\"\nlog_level = \"debug\"\n"
                         "[ximss]\nport = 12000\nlisten = \"127.0.0.1\"\nmax_message_size = 4096\n"
                         "[tls]\ncertificate = \"/etc/c.pem\"\n";
  auto c = load_config(dir, file, {"ximss.port=13000", "auth.loopback_is_secure=false"});
  EXPECT_EQ(c.data_dir, "/srv/mail");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.ximss_listen, "127.0.0.1");
  EXPECT_EQ(c.ximss.max_message_size, 4096u);
  EXPECT_EQ(c.tls_certificate, "/etc/c.pem");
  EXPECT_EQ(c.ximss_port, 13000);  // --set wins over the file
  EXPECT_FALSE(c.ximss.loopback_is_secure);
}

TEST(Config, RejectsUnknownKeysAndWrongTypes) {
  EXPECT_THROW(load_config("/nonexistent", std::nullopt, {"ximss.prot=1"}), std::runtime_error);
  EXPECT_THROW(load_config("/nonexistent", std::nullopt, {"ximss.port=abc"}), std::runtime_error);
  EXPECT_THROW(load_config("/nonexistent", std::nullopt, {"noequals"}), std::runtime_error);
}
