#include "imap/command_framer.hpp"

#include <algorithm>
#include <cstring>

namespace ximssd::imap {

namespace {

constexpr size_t kMaxTag = 64;   // longer "tags" are not reported back
constexpr size_t kTailBytes = 32;  // enough for "{18446744073709551615+}\r"

// tag = 1*<any ASTRING-CHAR except "+">
bool is_tag_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return !std::strchr("(){%*\"\\+", c);
}

}  // namespace

std::optional<CommandFramer::LiteralMark> CommandFramer::literal_mark(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() < 3 || line.back() != '}') return std::nullopt;
  line.remove_suffix(1);
  bool synchronizing = true;
  if (line.back() == '+') {
    synchronizing = false;
    line.remove_suffix(1);
  }
  size_t open = line.rfind('{');
  if (open == std::string_view::npos || open + 1 == line.size()) return std::nullopt;
  std::string_view digits = line.substr(open + 1);
  uint64_t size = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    auto d = static_cast<uint64_t>(c - '0');
    size = size > (UINT64_MAX - d) / 10 ? UINT64_MAX : size * 10 + d;
  }
  return LiteralMark{size, synchronizing};
}

void CommandFramer::drop_consumed() {
  if (start_ == 0) return;
  buf_.erase(0, start_);
  pos_ -= start_;
  line_start_ -= start_;
  start_ = 0;
}

char* CommandFramer::prepare(size_t size) {
  drop_consumed();
  size_t old = buf_.size();
  buf_.resize(old + size);
  prepared_ = size;
  return buf_.data() + old;
}

void CommandFramer::commit(size_t n) {
  n = std::min(n, prepared_);
  buf_.resize(buf_.size() - (prepared_ - n));
  prepared_ = 0;
}

void CommandFramer::feed(std::string_view data) {
  std::memcpy(prepare(data.size()), data.data(), data.size());
  commit(data.size());
}

void CommandFramer::discard_to(size_t end) { start_ = pos_ = line_start_ = end; }

void CommandFramer::capture_tag() {
  std::string_view pending(buf_.data() + start_, buf_.size() - start_);
  size_t n = 0;
  while (n < pending.size() && n <= kMaxTag && is_tag_char(pending[n])) ++n;
  bool ended = n < pending.size() && (pending[n] == ' ' || pending[n] == '\r' || pending[n] == '\n');
  tag_.assign(ended && n > 0 && n <= kMaxTag ? pending.substr(0, n) : std::string_view());
}

void CommandFramer::keep_tail(std::string_view bytes) {
  tail_.append(bytes.substr(bytes.size() > kTailBytes ? bytes.size() - kTailBytes : 0));
  if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
}

CommandFramer::Event CommandFramer::event(Kind kind, uint64_t size, bool synchronizing) {
  return Event{kind, {}, tag_, size, synchronizing};
}

std::optional<CommandFramer::Event> CommandFramer::next() {
  for (;;) {
    size_t end = buf_.size();
    switch (state_) {
      case State::literal:
      case State::skip_literal: {
        uint64_t take = std::min<uint64_t>(remaining_, end - pos_);
        pos_ += static_cast<size_t>(take);
        remaining_ -= take;
        if (state_ == State::skip_literal) discard_to(pos_);
        if (remaining_ > 0) return std::nullopt;
        if (state_ == State::literal) {
          line_start_ = pos_;
          state_ = State::line;
        } else {
          // The rest of a refused command is skipped too; it may announce more literals.
          tail_.clear();
          state_ = State::skip_line;
        }
        continue;
      }
      case State::skip_line: {
        const void* lf = std::memchr(buf_.data() + pos_, '\n', end - pos_);
        if (!lf) {
          keep_tail(std::string_view(buf_.data() + pos_, end - pos_));
          discard_to(end);
          return std::nullopt;
        }
        size_t at = static_cast<size_t>(static_cast<const char*>(lf) - buf_.data());
        keep_tail(std::string_view(buf_.data() + pos_, at - pos_));
        discard_to(at + 1);
        state_ = State::line;
        // A synchronizing literal is not sent without our "+"; a non-synchronizing one is.
        if (auto mark = literal_mark(tail_); mark && !mark->synchronizing) {
          remaining_ = mark->size;
          state_ = State::skip_literal;
        }
        continue;
      }
      case State::line: {
        const void* lf = std::memchr(buf_.data() + pos_, '\n', end - pos_);
        if (!lf) {
          pos_ = end;
          if (end - line_start_ <= limits_.max_line) return std::nullopt;
          capture_tag();
          tail_.clear();
          keep_tail(std::string_view(buf_.data() + line_start_, end - line_start_));
          discard_to(end);
          state_ = State::skip_line;
          return event(Kind::line_too_long);
        }
        size_t at = static_cast<size_t>(static_cast<const char*>(lf) - buf_.data());
        std::string_view line(buf_.data() + line_start_, at - line_start_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() > limits_.max_line) {
          capture_tag();
          tail_.assign(line.substr(line.size() - std::min(line.size(), kTailBytes)));
          pos_ = at;  // skip_line finds this line's LF and looks at the tail
          state_ = State::skip_line;
          return event(Kind::line_too_long);
        }
        auto mark = literal_mark(line);
        if (!mark) {
          size_t text_end = line_start_ + line.size();
          std::string_view text(buf_.data() + start_, text_end - start_);
          discard_to(at + 1);
          if (text.empty()) continue;  // a stray CRLF between commands
          return Event{Kind::command, text, {}, 0, false};
        }
        uint64_t so_far = at + 1 - start_;
        if (mark->size > limits_.max_literal || mark->size > limits_.max_command - std::min(so_far, limits_.max_command)) {
          capture_tag();
          discard_to(at + 1);
          if (!mark->synchronizing) {
            remaining_ = mark->size;
            state_ = State::skip_literal;
          }
          return event(Kind::literal_too_large, mark->size, mark->synchronizing);
        }
        pos_ = at + 1;
        remaining_ = mark->size;
        state_ = State::literal;
        if (mark->synchronizing) {
          capture_tag();
          return event(Kind::continuation_needed, mark->size, true);
        }
        continue;
      }
    }
  }
}

void CommandFramer::release_if_idle() {
  if (start_ < buf_.size()) return;
  std::string().swap(buf_);
  start_ = pos_ = line_start_ = 0;
  if (state_ == State::line) {
    std::string().swap(tail_);
    std::string().swap(tag_);
  }
}

}  // namespace ximssd::imap
