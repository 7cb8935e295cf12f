#include "delivery/queue/queue_entry.hpp"

#include <charconv>

#include "base/random.hpp"

namespace ximssd::delivery {

namespace {

constexpr std::string_view kVersionLine = "ximssd-queue-entry 1";

std::string encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c <= 0x20 || c == '%' || c >= 0x7f) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  // An empty value is written as a lone '%' so that every field has some text.
  return out.empty() ? "%" : out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view value) {
  if (value == "%") return std::string();
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    if (i + 2 >= value.size()) return std::nullopt;
    int hi = hex_value(value[i + 1]), lo = hex_value(value[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= line.size()) {
    size_t space = line.find(' ', start);
    if (space == std::string_view::npos) space = line.size();
    parts.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  return parts;
}

std::string_view status_name(RecipientStatus s) {
  switch (s) {
    case RecipientStatus::pending: return "pending";
    case RecipientStatus::delivered: return "delivered";
    case RecipientStatus::failed: return "failed";
  }
  return "pending";
}

std::optional<RecipientStatus> parse_status(std::string_view name) {
  if (name == "pending") return RecipientStatus::pending;
  if (name == "delivered") return RecipientStatus::delivered;
  if (name == "failed") return RecipientStatus::failed;
  return std::nullopt;
}

// rcpt ADDRESS NOTIFY ORCPT STATUS ATTEMPTED LOCAL FINISHED CODE ENHANCED TEXT REMOTE-MTA
constexpr size_t kRecipientFields = 12;

std::optional<RecipientState> parse_recipient(const std::vector<std::string_view>& f) {
  if (f.size() != kRecipientFields) return std::nullopt;
  RecipientState r;
  auto address = decode(f[1]), orcpt = decode(f[3]), enhanced = decode(f[9]), text = decode(f[10]),
       mta = decode(f[11]);
  auto status = parse_status(f[4]);
  auto finished = number<int64_t>(f[7]);
  auto code = number<int>(f[8]);
  if (!address || !orcpt || !enhanced || !text || !mta || !status || !finished || !code) return std::nullopt;
  if (f[2].size() != 2 || f[5].size() != 1 || f[6].size() != 1) return std::nullopt;
  r.recipient.address = *address;
  r.recipient.notify_success = f[2][0] == 'S';
  r.recipient.notify_failure = f[2][1] == 'F';
  r.recipient.original = *orcpt;
  r.status = *status;
  r.attempted = f[5] == "1";
  r.local = f[6] == "1";
  r.finished = *finished;
  r.last = Outcome{*code, *enhanced, *text};
  r.remote_mta = *mta;
  return r;
}

}  // namespace

bool QueueEntry::finished() const {
  for (const auto& r : recipients)
    if (r.status == RecipientStatus::pending) return false;
  return true;
}

Envelope QueueEntry::envelope() const {
  Envelope e;
  e.mail_from = mail_from;
  e.envid = envid;
  e.return_full = return_full;
  for (const auto& r : recipients) e.recipients.push_back(r.recipient);
  return e;
}

std::string_view source_name(Source source) {
  switch (source) {
    case Source::lmtp: return "lmtp";
    case Source::smtp: return "smtp";
    case Source::authenticated: return "authenticated";
    case Source::generated: return "generated";
  }
  return "generated";
}

std::optional<Source> parse_source(std::string_view name) {
  for (Source s : {Source::lmtp, Source::smtp, Source::authenticated, Source::generated})
    if (source_name(s) == name) return s;
  return std::nullopt;
}

std::string serialize_entry(const QueueEntry& e) {
  std::string out(kVersionLine);
  out += '\n';
  auto field = [&out](std::string_view key, std::string_view value) {
    out.append(key).append(" ").append(value).append("\n");
  };
  field("id", encode(e.id));
  field("from", encode(e.mail_from));
  field("envid", encode(e.envid));
  field("ret", e.return_full ? "full" : "hdrs");
  field("source", source_name(e.source));
  field("created", std::to_string(e.created));
  field("attempts", std::to_string(e.attempts));
  field("next", std::to_string(e.next_attempt_ms));
  field("size", std::to_string(e.size));
  for (const auto& r : e.recipients) {
    std::string notify;
    notify += r.recipient.notify_success ? 'S' : '-';
    notify += r.recipient.notify_failure ? 'F' : '-';
    out += "rcpt " + encode(r.recipient.address) + ' ' + notify + ' ' + encode(r.recipient.original) + ' ' +
           std::string(status_name(r.status)) + ' ' + (r.attempted ? '1' : '0') + ' ' + (r.local ? '1' : '0') + ' ' +
           std::to_string(r.finished) + ' ' + std::to_string(r.last.code) + ' ' + encode(r.last.enhanced) + ' ' +
           encode(r.last.text) + ' ' + encode(r.remote_mta) + '\n';
  }
  out += "end\n";
  return out;
}

std::optional<QueueEntry> parse_entry(std::string_view text) {
  QueueEntry e;
  bool ended = false, first = true, have_id = false, have_created = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return std::nullopt;  // a file cut short
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    if (first) {
      if (line != kVersionLine) return std::nullopt;
      first = false;
      continue;
    }
    if (ended) return std::nullopt;
    if (line == "end") {
      ended = true;
      continue;
    }
    auto f = split_spaces(line);
    if (f[0] == "rcpt") {
      auto r = parse_recipient(f);
      if (!r) return std::nullopt;
      e.recipients.push_back(std::move(*r));
      continue;
    }
    if (f.size() != 2) return std::nullopt;
    std::string_view key = f[0], value = f[1];
    if (key == "id") {
      auto v = decode(value);
      if (!v || !is_queue_id(*v)) return std::nullopt;
      e.id = *v;
      have_id = true;
    } else if (key == "from" || key == "envid") {
      auto v = decode(value);
      if (!v) return std::nullopt;
      (key == "from" ? e.mail_from : e.envid) = *v;
    } else if (key == "ret") {
      if (value != "full" && value != "hdrs") return std::nullopt;
      e.return_full = value == "full";
    } else if (key == "source") {
      auto s = parse_source(value);
      if (!s) return std::nullopt;
      e.source = *s;
    } else if (key == "created" || key == "next") {
      auto v = number<int64_t>(value);
      if (!v) return std::nullopt;
      (key == "created" ? e.created : e.next_attempt_ms) = *v;
      have_created = have_created || key == "created";
    } else if (key == "attempts") {
      auto v = number<int>(value);
      if (!v) return std::nullopt;
      e.attempts = *v;
    } else if (key == "size") {
      auto v = number<uint64_t>(value);
      if (!v) return std::nullopt;
      e.size = *v;
    } else {
      return std::nullopt;
    }
  }
  if (!ended || !have_id || !have_created || e.recipients.empty()) return std::nullopt;
  return e;
}

std::string new_queue_id(int64_t now) { return std::to_string(now) + "-" + random_alnum(12); }

bool is_queue_id(std::string_view id) {
  size_t dash = id.find('-');
  if (dash == 0 || dash == std::string_view::npos || id.size() - dash - 1 != 12 || dash > 20) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    if (i < dash ? !(c >= '0' && c <= '9')
                 : (i > dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))))
      return false;
  }
  return true;
}

}  // namespace ximssd::delivery
