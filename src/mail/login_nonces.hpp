// The nonces listFeatures hands out for CRAM-MD5 logins that carry no SASL exchange of their
// own (XIMSS over HTTP: GET /XIMSSLogin/?userName=..&nonce=..&authData=..). A nonce is accepted
// once, and only within its lifetime, so a captured login URL cannot be replayed.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace ximssd::mail {

class LoginNonces {
 public:
  explicit LoginNonces(std::string hostname, std::chrono::seconds lifetime = std::chrono::minutes(5),
                       size_t capacity = 100000)
      : hostname_(std::move(hostname)), lifetime_(lifetime), capacity_(capacity) {}

  // A new nonce in the RFC 2195 form: <random.timestamp@host>.
  std::string issue();
  // True once for a nonce issued within its lifetime; false for unknown, used or expired ones.
  bool consume(std::string_view nonce);

 private:
  void expire(std::chrono::steady_clock::time_point now);

  std::string hostname_;
  std::chrono::seconds lifetime_;
  size_t capacity_;
  std::mutex mutex_;
  std::unordered_set<std::string> live_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> by_age_;
};

}  // namespace ximssd::mail
