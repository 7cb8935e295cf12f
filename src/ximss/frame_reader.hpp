// XIMSS over TCP framing: every message is an XML document terminated by a zero byte.
// FrameReader accumulates received bytes and hands out complete frames. A frame that grows past
// the size limit is reported once (with its first bytes, so an id can still be read) and the rest
// of it, up to its terminator, is discarded: memory per connection never exceeds the limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ximssd::ximss {

class FrameReader {
 public:
  explicit FrameReader(size_t max_frame_size) : max_(max_frame_size) {}

  enum class Kind { frame, oversized };
  struct Event {
    Kind kind;
    std::string_view text;  // the frame (no terminator), or the oversized frame's first bytes
  };

  // Space to receive into: the caller writes up to `size` bytes at the returned pointer, then
  // calls commit(n) with the number actually written.
  char* prepare(size_t size);
  void commit(size_t n);
  void feed(std::string_view data);

  // The next event, or nullopt when more bytes are needed. Views stay valid until the next
  // prepare/feed/release call.
  std::optional<Event> next();
  // Frees the buffer when nothing is pending (keeps idle connections small).
  void release_if_idle();
  // True while a frame has started but not ended (bytes are buffered, or an oversized frame is
  // being skipped).
  bool partial() const { return skipping_ || begin_ < buf_.size(); }
  size_t buffered() const { return buf_.size() - begin_; }

 private:
  void drop_consumed();
  size_t max_;
  std::string buf_;
  size_t begin_ = 0;     // start of the unconsumed bytes
  size_t scanned_ = 0;   // bytes from begin_ already known to hold no terminator
  size_t prepared_ = 0;  // bytes added by prepare() and not yet committed
  bool skipping_ = false;
  std::string oversized_head_;
};

}  // namespace ximssd::ximss
