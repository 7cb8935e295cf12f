// IMAP server settings (config keys imap.*).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ximssd::imap {

struct ImapSettings {
  std::string listen = "0.0.0.0";
  uint16_t port = 10143;      // IMAP with STARTTLS; 0 = none
  uint16_t tls_port = 10993;  // IMAPS (TLS from the first byte); 0 = none
  // RFC 3501 section 5.4: at least 30 minutes of inactivity before the autologout timer.
  std::chrono::seconds idle_timeout{1800};
  std::chrono::seconds login_timeout{60};
  unsigned max_bad_commands = 20;  // BAD responses in a row before the connection is closed
  size_t max_line = 64 * 1024;
  uint64_t max_literal = 64ull * 1024 * 1024;
  // Storage quota of each account in KiB (RFC 9208 STORAGE); 0 = none. An account setting
  // "QuotaStorage" overrides it.
  uint64_t quota_kib = 0;
  // From auth.loopback_is_secure and auth.cleartext_on_insecure (the same for every protocol):
  bool loopback_is_secure = true;      // LOGIN and AUTHENTICATE PLAIN allowed over loopback
  bool cleartext_on_insecure = false;  // ... and over any connection without TLS
};

}  // namespace ximssd::imap
