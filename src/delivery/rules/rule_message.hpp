// What Rule conditions read from a message: its header fields (decoded with GMime), their
// addresses, its size, and whether it is automatic or bulk mail. Parsed once per delivery, from
// the header block only. Coroutine-free (the fuzz target links it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::delivery {

struct MessageAddress {
  std::string address;  // addr-spec
  std::string name;     // display name, decoded; may be empty
};

class RuleMessage {
 public:
  // `message` is the whole message as received; only its header block is parsed.
  explicit RuleMessage(std::string_view message);

  uint64_t size() const { return size_; }
  bool automatic_or_bulk() const { return automatic_; }

  // Decoded (RFC 2047) and unfolded values of every field named `name` (any letter case).
  std::vector<std::string> values(std::string_view name) const;
  // The first such value, or "".
  std::string value(std::string_view name) const;
  // The mailboxes of every field named `name` (groups flattened), in order.
  std::vector<MessageAddress> addresses(std::string_view name) const;

 private:
  struct Field {
    std::string name;
    std::string raw;      // unfolded, still encoded (for address parsing)
    std::string decoded;  // unfolded and decoded
  };
  std::vector<Field> fields_;
  uint64_t size_ = 0;
  bool automatic_ = false;
};

}  // namespace ximssd::delivery
