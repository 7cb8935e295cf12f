#include "ximss/frame_reader.hpp"

#include <algorithm>
#include <cstring>

namespace ximssd::ximss {

namespace {
constexpr size_t kHeadBytes = 512;  // enough to read the root element's id

bool only_whitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}
}  // namespace

void FrameReader::drop_consumed() {
  if (begin_ == 0) return;
  buf_.erase(0, begin_);
  begin_ = 0;
}

char* FrameReader::prepare(size_t size) {
  drop_consumed();
  size_t old = buf_.size();
  buf_.resize(old + size);
  prepared_ = size;
  return buf_.data() + old;
}

void FrameReader::commit(size_t n) {
  n = std::min(n, prepared_);
  buf_.resize(buf_.size() - (prepared_ - n));
  prepared_ = 0;
}

void FrameReader::feed(std::string_view data) {
  std::memcpy(prepare(data.size()), data.data(), data.size());
  commit(data.size());
}

std::optional<FrameReader::Event> FrameReader::next() {
  for (;;) {
    std::string_view pending(buf_.data() + begin_, buf_.size() - begin_);
    if (pending.empty()) return std::nullopt;
    const void* zero = std::memchr(pending.data() + scanned_, 0, pending.size() - scanned_);
    if (skipping_) {
      // Discard the rest of an oversized frame, up to and including its terminator.
      if (!zero) {
        begin_ = buf_.size();
        scanned_ = 0;
        return std::nullopt;
      }
      begin_ += static_cast<size_t>(static_cast<const char*>(zero) - pending.data()) + 1;
      scanned_ = 0;
      skipping_ = false;
      continue;
    }
    if (!zero) {
      scanned_ = pending.size();
      if (pending.size() <= max_) return std::nullopt;
      // Too long without a terminator: report it once, then skip to the terminator.
      oversized_head_.assign(pending.substr(0, kHeadBytes));
      skipping_ = true;
      begin_ = buf_.size();
      scanned_ = 0;
      return Event{Kind::oversized, oversized_head_};
    }
    size_t length = static_cast<size_t>(static_cast<const char*>(zero) - pending.data());
    std::string_view frame = pending.substr(0, length);
    begin_ += length + 1;
    scanned_ = 0;
    if (length > max_) {
      oversized_head_.assign(frame.substr(0, kHeadBytes));
      return Event{Kind::oversized, oversized_head_};
    }
    if (only_whitespace(frame)) continue;  // stray whitespace between messages
    return Event{Kind::frame, frame};
  }
}

void FrameReader::release_if_idle() {
  if (begin_ < buf_.size()) return;
  std::string().swap(buf_);
  begin_ = 0;
  scanned_ = 0;
  std::string().swap(oversized_head_);
}

}  // namespace ximssd::ximss
