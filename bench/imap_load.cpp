// imap_load: a load generator for IMAP4rev1 servers (ximssd, and Dovecot for comparison).
//
// Standalone on purpose, like ximss_load: POSIX sockets and epoll only, so it builds and runs
// without the server's libraries, and nothing in it is particular to ximssd. Every connection
// logs in with LOGIN, asks for CAPABILITY, and (except in append mode) SELECTs the mailbox.
// Connections are spread over T event-loop threads (1). Modes:
//
//   append --port P --user U --password PW --count N [--connections C] [--mailbox M] [--first F]
//          [--seed S] [--pid SERVERPID]
//     APPENDs messages F..F+N-1 (F = 0) to the mailbox over C connections (4), one APPEND in
//     flight on each; with LITERAL+ when the server advertises it, else with synchronizing
//     literals. Message i is generated from (S, i) alone, so every server gets the same N
//     messages: realistic headers (Received, From, To, Cc, Subject, Date, Message-ID, replies
//     with In-Reply-To/References, some RFC 2047 subjects), 1-20 KB, 70% text/plain, 15%
//     multipart/alternative, 15% multipart/mixed with a base64 attachment; flags and INTERNALDATE
//     set by APPEND (95% \Seen, some \Answered and \Flagged). Then STATUS gives the mailbox's
//     message count. Besides the overall rate, the rates over the first and the last tenth of the
//     messages show whether appending slows down as the mailbox grows, and the latency of an
//     APPEND (command to tagged OK) p50/p90/p99/max; with --pid, the server's CPU over the whole
//     run. On SIGTERM or SIGINT it stops and reports what was appended (as an error).
//
//   mixed  --port P --user U --password PW [--clients C] [--seconds S] [--warmup W] [--idle-ms I]
//          [--pid SERVERPID]
//     C clients (10), each on its own connection with the mailbox selected, each with one command
//     in flight at a time, loop over this cycle of 15 commands:
//       FETCH n:n+49 (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])
//       UID FETCH u BODY.PEEK[]                          (u from the last page)
//       UID STORE u -FLAGS (\Seen) | +FLAGS (\Seen)      (flips a message of the page)
//       NOOP
//       UID FETCH u BODY.PEEK[]
//       APPEND a small message
//       UID SEARCH UNSEEN
//       UID STORE u +FLAGS (\Seen) | -FLAGS (\Seen)      (puts the flipped flag back)
//       FETCH page, UID FETCH body
//       SEARCH SUBJECT "word"
//       UID STORE a +FLAGS.SILENT (\Deleted)             (a: the message this client appended)
//       UID EXPUNGE a                                    (EXPUNGE without UIDPLUS)
//       IDLE, then DONE as soon as the server's "+" arrives (or after I ms)
//       NOOP
//     so the mailbox keeps its size and its flags. After a warm-up of W seconds (1), commands are
//     counted for S seconds (10): commands/s overall and per kind, latency (from writing the
//     command to reading its tagged response) p50/p90/p99/max per kind and overall; only
//     commands that succeeded count, errors are counted per kind with the first one. Responses
//     are checked: a page must return every message with UID, FLAGS, RFC822.SIZE and the header
//     fields; a body its RFC822.SIZE bytes; a STORE the new FLAGS; an APPEND its APPENDUID (with
//     UIDPLUS); a SEARCH its SEARCH response; UID EXPUNGE an EXPUNGE; IDLE its "+". A NO, a BAD,
//     a failed check, a lost connection or a command unanswered for --timeout seconds is an
//     error. At the end every client puts back what it changed and logs out. --trace K writes
//     client K's traffic (0-based; literal contents left out) to stderr.
//     With --pid, the CPU time of the server's process tree (a process and its descendants, from
//     /proc) over the window is reported; the tool's own and the machine's always are.
//
//   idle   --port P --user U --password PW --count N [--pid SERVERPID] [--inflight K]
//          [--settle SECONDS] [--hold SECONDS] [--min-available-mib M]
//     Opens N connections (at most K, 64, logging in at a time), each logs in, SELECTs and enters
//     IDLE. With --pid, the resident memory of the server's process tree (sum of VmRSS and of
//     Pss) is read before anything, after the first connection is idling (the baseline: the
//     mailbox loaded once), and --settle seconds (2) after the last one is; the growth from the
//     baseline divided by the other N-1 connections is the memory per idle connection, and the
//     drop of the machine's MemAvailable likewise. Opening stops early when the
//     machine's MemAvailable falls below M MiB (1024) or the time runs out (--timeout): the
//     report says how many reached IDLE. Holds them for --hold seconds (0) more, then ends IDLE on
//     every one (each must answer OK) and logs out.
//
//   free-port [--host H]
//     Prints a TCP port that was free a moment ago (for scripts).
//
// Several servers sharing one store (nodes): --port P1,P2,... spreads the connections over them
// in turn (connection i to the (i mod n)-th port), and --pid P1,P2,... sums the process trees of
// all the given processes (say the ximssd nodes and the database server); with more than one,
// server_cpu_seconds_each gives each tree's share in the order given. The CPU time of a tree
// counts its processes' reaped children too (a database's short-lived workers).
//
// Each mode prints one JSON line on stdout; diagnostics go to stderr. The exit status is 0 only
// when no errors occurred (2 when the run could not be made, 1 when it had errors).

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "load_common.hpp"

const char load::tool_name[] = "imap_load";

namespace {

using namespace load;

// ---------------------------------------------------------------------------------------------
// Command line

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

struct Options : CommonOptions {
  long clients = 10;
  long connections = 4;
  long count = 0;
  long first = 0;
  std::vector<long> pids;  // --pid P[,P...]: server process trees
  long inflight = 64;
  long idle_ms = 0;
  double hold = 0;
  double settle = 2;
  long trace = -1;  // a connection (0-based) whose traffic is written to stderr
  long min_available_mib = 1024;
  uint64_t seed = 1;
  std::string mailbox = "INBOX";
  Options() { timeout = 60; }  // per command; in idle mode, for opening all connections
};

void usage() {
  std::fputs(
      "usage:\n"
      "  imap_load append --host H --port P[,P...] --user U --password PW --count N [--connections C]\n"
      "                   [--mailbox M] [--first F] [--seed S] [--pid SERVERPID[,PID...]] [--threads T]\n"
      "                   [--timeout T]\n"
      "  imap_load mixed  --host H --port P[,P...] --user U --password PW [--clients C] [--seconds S]\n"
      "                   [--warmup W] [--idle-ms I] [--mailbox M] [--pid SERVERPID[,PID...]] [--threads T]\n"
      "                   [--seed S] [--inflight K] [--timeout T] [--trace CONN]\n"
      "  imap_load idle   --host H --port P[,P...] --user U --password PW --count N [--pid SERVERPID[,PID...]]\n"
      "                   [--inflight K] [--settle SECONDS] [--hold SECONDS] [--min-available-mib M]\n"
      "                   [--mailbox M] [--threads T] [--timeout T]\n"
      "  imap_load free-port [--host H]\n",
      stderr);
}

Options parse_args(int argc, char** argv) {
  Options o;
  auto own = [&o](const std::string& name, const std::string& value) {
    if (name == "clients") o.clients = parse_long(name, value, 1);
    else if (name == "connections") o.connections = parse_long(name, value, 1);
    else if (name == "count") o.count = parse_long(name, value, 1);
    else if (name == "first") o.first = parse_long(name, value, 0);
    else if (name == "pid") {
      for (const std::string& v : split_commas(value)) o.pids.push_back(parse_long(name, v, 1));
    }
    else if (name == "inflight") o.inflight = parse_long(name, value, 1);
    else if (name == "idle-ms") o.idle_ms = parse_long(name, value, 0);
    else if (name == "hold") o.hold = parse_double(name, value, 0);
    else if (name == "settle") o.settle = parse_double(name, value, 0);
    else if (name == "trace") o.trace = parse_long(name, value, 0);
    else if (name == "min-available-mib") o.min_available_mib = parse_long(name, value, 0);
    else if (name == "seed") o.seed = static_cast<uint64_t>(parse_long(name, value, 0));
    else if (name == "mailbox") o.mailbox = value;
    else return false;
    return true;
  };
  parse_command_line(argc, argv, usage, {"append", "mixed", "idle"}, o, own);
  if (o.mode == "free-port") return o;
  if ((o.mode == "append" || o.mode == "idle") && o.count == 0) die("--count is required in " + o.mode + " mode");
  long conns = o.mode == "append" ? std::min(o.connections, o.count) : o.mode == "mixed" ? o.clients : o.count;
  if (o.threads > conns) o.threads = conns;
  if (o.mode == "append") o.threads = 1;  // the client's share of an APPEND is small
  return o;
}

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers (splitmix64): a message depends only on (seed, index).

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  template <class T, size_t N>
  const T& pick(const T (&a)[N]) { return a[below(N)]; }
};

// ---------------------------------------------------------------------------------------------
// Message generator

constexpr const char* first_names[] = {
    "Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Karin", "Liam",
    "Maria", "Noah", "Olga", "Pedro", "Quentin", "Rosa", "Sven", "Tariq", "Ursula", "Viktor", "Wendy", "Yuki"};
constexpr const char* last_names[] = {
    "Anders", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ivanov", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Olsen", "Petit", "Rossi", "Schmidt", "Tanaka", "Weber"};
constexpr const char* domains[] = {"example.com", "example.org", "example.net", "mail.example.co.uk",
                                   "lists.example.edu", "corp.example", "example.de", "example.fr"};
// Subject words. The first few also serve as SEARCH SUBJECT terms in mixed mode.
constexpr const char* subject_words[] = {
    "invoice", "meeting", "report", "budget", "schedule", "release", "review", "update", "question",
    "project", "contract", "travel", "agenda", "minutes", "proposal", "feedback", "deadline", "draft",
    "quarterly", "results", "team", "lunch", "offsite", "server", "migration", "backup", "security",
    "training", "holiday", "planning", "customer", "order", "shipment", "payment", "reminder", "notes"};
constexpr const char* search_terms[] = {"invoice", "meeting", "report", "budget", "schedule", "release",
                                        "migration", "offsite"};
constexpr const char* body_words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
    "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
    "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
    "will", "would", "who", "so", "no", "please", "attached", "find", "regards", "thanks", "next", "week",
    "monday", "friday", "office", "document", "numbers", "version", "changes", "comments", "agree",
    "suggest", "before", "after", "call", "discuss", "figures", "estimate", "approve", "summary",
    "details", "client", "support", "issue", "ticket", "fixed", "deploy", "staging", "production",
    "meeting", "room", "tomorrow", "morning", "afternoon", "quarter", "target", "growth", "costs"};
constexpr const char* accented_subjects[] = {"Réunion de l'équipe", "Überprüfung des Berichts",
                                             "Presupuesto del año", "Café à la cafétéria", "Grüße aus München"};
constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

std::string base64(std::string_view in, size_t line = 76) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 4 / 3 + in.size() / 50 + 8);
  size_t col = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? tbl[v & 63] : '=';
    col += 4;
    if (line && col >= line) {
      out += "\r\n";
      col = 0;
    }
  }
  if (line && col) out += "\r\n";
  return out;
}

struct Message {
  std::string data;           // CRLF line ends
  std::string flags;          // "(\Seen)" or "()"
  std::string internal_date;  // "02-Jan-2024 15:04:05 +0000"
};

std::string rfc5322_date(const std::tm& t) {
  char b[64];
  std::snprintf(b, sizeof b, "%s, %02d %s %04d %02d:%02d:%02d +0000", weekdays[t.tm_wday], t.tm_mday,
                months[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
  return b;
}

std::string imap_date(const std::tm& t) {
  char b[64];
  std::snprintf(b, sizeof b, "%02d-%s-%04d %02d:%02d:%02d +0000", t.tm_mday, months[t.tm_mon], t.tm_year + 1900,
                t.tm_hour, t.tm_min, t.tm_sec);
  return b;
}

// Appends words as text lines of at most ~72 characters until `text` reaches `target` bytes.
void fill_text(Rng& r, std::string& text, size_t target) {
  size_t col = 0;
  bool sentence_start = true;
  while (text.size() < target) {
    std::string w = r.pick(body_words);
    if (sentence_start) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    sentence_start = false;
    if (col + w.size() + 1 > 72) {
      text += "\r\n";
      col = 0;
      if (r.below(6) == 0) text += "\r\n";  // paragraph
    } else if (col) {
      text += ' ';
      ++col;
    }
    text += w;
    col += w.size();
    if (r.below(12) == 0) {
      text += '.';
      ++col;
      sentence_start = true;
    }
  }
  text += "\r\n";
}

std::string person(Rng& r, std::string* addr_out = nullptr) {
  std::string f = r.pick(first_names), l = r.pick(last_names);
  std::string local;
  for (char c : f) local += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Non-ASCII letters in the local part would not be valid; keep ASCII only.
  std::string ascii;
  for (char c : local)
    if (static_cast<unsigned char>(c) < 0x80) ascii += c;
  std::string lastl;
  for (char c : l) lastl += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string addr = ascii + "." + lastl + "@" + r.pick(domains);
  if (addr_out) *addr_out = addr;
  bool needs_encoding = std::any_of(f.begin(), f.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  std::string name = f + " " + l;
  if (needs_encoding) return "=?UTF-8?B?" + base64(name, 0) + "?= <" + addr + ">";
  return "\"" + name + "\" <" + addr + ">";
}

// Message `index` of a run with `seed`: the same bytes on every call.
Message make_message(uint64_t seed, uint64_t index, bool small = false) {
  Rng r(seed * 0x100000001b3ULL ^ (index + 1) * 0x9e3779b97f4a7c15ULL);
  Message m;
  // The date: within the two years before 2024-01-01, older for lower indexes (roughly).
  std::time_t base = 1704067200;
  std::time_t t = base - static_cast<std::time_t>(2 * 365 * 86400) +
                  static_cast<std::time_t>((index % 1000000) * 60) + static_cast<std::time_t>(r.below(3600));
  std::tm tm{};
  gmtime_r(&t, &tm);
  m.internal_date = imap_date(tm);

  size_t target;
  double sr = r.unit();
  if (small) target = 600 + r.below(1400);
  else if (sr < 0.6) target = 1200 + r.below(3 * 1024);
  else if (sr < 0.9) target = 4096 + r.below(6 * 1024);
  else target = 10240 + r.below(10 * 1024);

  std::string from_addr;
  std::string from = person(r, &from_addr);
  std::string from_domain = from_addr.substr(from_addr.find('@') + 1);
  std::string h;
  char buf[256];
  std::snprintf(buf, sizeof buf, "Return-Path: <%s>\r\n", from_addr.c_str());
  h += buf;
  for (int k = 0, hops = 1 + static_cast<int>(r.below(2)); k < hops; ++k) {
    std::snprintf(buf, sizeof buf,
                  "Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\r\n\tby mail.example.dom with ESMTPS id %016llx;\r\n"
                  "\t%s\r\n",
                  static_cast<int>(r.below(9)), from_domain.c_str(), static_cast<int>(r.below(9)), from_domain.c_str(),
                  static_cast<int>(1 + r.below(254)), static_cast<unsigned long long>(r.next()),
                  rfc5322_date(tm).c_str());
    h += buf;
  }
  h += "From: " + from + "\r\n";
  h += "To: \"Bench User\" <bench@example.dom>";
  if (r.below(4) == 0) h += ", " + person(r);
  h += "\r\n";
  if (r.below(5) == 0) h += "Cc: " + person(r) + "\r\n";
  std::string subject;
  bool reply = r.below(10) < 3;
  if (r.below(20) == 0) {
    subject = "=?UTF-8?B?" + base64(r.pick(accented_subjects), 0) + "?=";
  } else {
    for (int k = 0, n = 3 + static_cast<int>(r.below(5)); k < n; ++k) {
      if (k) subject += ' ';
      subject += r.pick(subject_words);
    }
    subject[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(subject[0])));
    if (r.below(8) == 0) subject += " #" + std::to_string(1000 + r.below(9000));
  }
  if (small) subject = "Load test " + std::to_string(index) + " " + r.pick(subject_words);
  h += "Subject: " + std::string(reply ? "Re: " : "") + subject + "\r\n";
  h += "Date: " + rfc5322_date(tm) + "\r\n";
  std::snprintf(buf, sizeof buf, "Message-ID: <%llu.%016llx@%s>\r\n", static_cast<unsigned long long>(index),
                static_cast<unsigned long long>(r.next()), from_domain.c_str());
  h += buf;
  if (reply) {
    std::snprintf(buf, sizeof buf, "<%llu.%016llx@%s>", static_cast<unsigned long long>(index / 2),
                  static_cast<unsigned long long>(r.next()), r.pick(domains));
    h += std::string("In-Reply-To: ") + buf + "\r\nReferences: " + buf + "\r\n";
  }
  if (r.below(3) == 0) h += "X-Mailer: Example Mail 4." + std::to_string(r.below(10)) + "\r\n";
  h += "MIME-Version: 1.0\r\n";

  double kind = small ? 0 : r.unit();
  std::string body;
  if (kind < 0.70) {
    h += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n";
    fill_text(r, body, target > h.size() + 64 ? target - h.size() : 64);
  } else if (kind < 0.85) {
    std::snprintf(buf, sizeof buf, "alt-%016llx", static_cast<unsigned long long>(r.next()));
    std::string b = buf;
    h += "Content-Type: multipart/alternative; boundary=\"" + b + "\"\r\n";
    size_t budget = target > h.size() + 400 ? target - h.size() - 400 : 200;
    std::string text;
    fill_text(r, text, budget * 2 / 5);
    std::string html = "<html><body><p>";
    for (char c : text) {
      if (c == '\r') continue;
      if (c == '\n') html += "<br>\r\n";
      else html += c;
    }
    html += "</p></body></html>\r\n";
    body = "This is a multi-part message in MIME format.\r\n\r\n--" + b +
           "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text + "\r\n--" +
           b + "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + html +
           "\r\n--" + b + "--\r\n";
  } else {
    std::snprintf(buf, sizeof buf, "mix-%016llx", static_cast<unsigned long long>(r.next()));
    std::string b = buf;
    h += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n";
    size_t budget = target > h.size() + 500 ? target - h.size() - 500 : 300;
    std::string text;
    fill_text(r, text, budget / 4 + 100);
    size_t bin_size = (budget - std::min(budget, text.size())) * 3 / 4 + 16;
    std::string bin(bin_size, '\0');
    for (auto& c : bin) c = static_cast<char>(r.next() & 0xff);
    static constexpr const char* types[][2] = {
        {"application/pdf", "pdf"}, {"image/png", "png"}, {"application/zip", "zip"}, {"image/jpeg", "jpg"}};
    auto& ty = types[r.below(4)];
    std::string fname = std::string(r.pick(subject_words)) + "-" + std::to_string(r.below(100)) + "." + ty[1];
    body = "This is a multi-part message in MIME format.\r\n\r\n--" + b +
           "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text + "\r\n--" +
           b + "\r\nContent-Type: " + ty[0] + "; name=\"" + fname +
           "\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"" + fname +
           "\"\r\n\r\n" + base64(bin) + "\r\n--" + b + "--\r\n";
  }
  m.data = h + "\r\n" + body;

  if (small) {
    m.flags = "()";
  } else {
    std::string f;
    if (r.unit() < 0.95) {
      f += "\\Seen";
      if (reply || r.below(10) == 0) f += " \\Answered";
    }
    if (r.below(33) == 0) f += f.empty() ? "\\Flagged" : " \\Flagged";
    m.flags = "(" + f + ")";
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// The server's process tree (ximssd: one process; Dovecot: the master and its children).

// Reads "Name:   123 kB" from a /proc file; -1 if absent.
long proc_kib(const std::string& path, const char* name) {
  std::ifstream f(path);
  std::string line;
  size_t n = std::strlen(name);
  while (std::getline(f, line))
    if (line.compare(0, n, name) == 0 && line.size() > n && line[n] == ':') return std::atol(line.c_str() + n + 1);
  return -1;
}

struct TreeMemory {
  long rss_kib = 0;  // sum of VmRSS: shared pages counted once per process
  long pss_kib = 0;  // sum of Pss: shared pages divided among the processes sharing them
  long processes = 0;
};

TreeMemory tree_memory(const std::vector<long>& roots) {
  TreeMemory m;
  std::vector<long> pids;
  for (long root : roots)
    for (long pid : process_tree(root))
      if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
  for (long pid : pids) {
    std::string base = "/proc/" + std::to_string(pid);
    long rss = proc_kib(base + "/status", "VmRSS");
    if (rss < 0) continue;  // exited, or a kernel thread
    long pss = proc_kib(base + "/smaps_rollup", "Pss");
    m.rss_kib += rss;
    m.pss_kib += pss > 0 ? pss : 0;
    ++m.processes;
  }
  return m;
}

// CPU time (user + system) of a process and of the children it has reaped, seconds; negative
// if unreadable. With the reaped children, a tree's sum does not drop when one of its processes
// ends (a database's autovacuum worker, a backend whose client left): the parent inherits it.
double cpu_with_reaped_children(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!f || !std::getline(f, line)) return -1;
  auto rp = line.rfind(')');
  if (rp == std::string::npos) return -1;
  // After ") ": state(3) ... utime(14) stime(15) cutime(16) cstime(17).
  unsigned long long utime = 0, stime = 0;
  long long cutime = 0, cstime = 0;
  if (std::sscanf(line.c_str() + rp + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
                  &utime, &stime, &cutime, &cstime) != 4)
    return -1;
  long tck = sysconf(_SC_CLK_TCK);
  return static_cast<double>(static_cast<long long>(utime + stime) + cutime + cstime) /
         static_cast<double>(tck > 0 ? tck : 100);
}

// The CPU time of each given process tree (see process_tree, reaped children included), in the
// order given; -1 for a tree none of which can be read.
std::vector<double> trees_cpu_seconds(const std::vector<long>& roots) {
  std::vector<double> out;
  for (long root : roots) {
    double sum = 0;
    bool any = false;
    for (long pid : process_tree(root)) {
      double s = cpu_with_reaped_children(pid);
      if (s >= 0) {
        sum += s;
        any = true;
      }
    }
    out.push_back(any ? sum : -1);
  }
  return out;
}

// Prints server_cpu_seconds and server_cores_used (the sum over every tree), and with more than
// one tree server_cpu_seconds_each; returns the sum, or -1 when a sample is missing.
double print_servers_cpu(const std::vector<double>& c0, const std::vector<double>& c1, const std::vector<long>& roots,
                         double elapsed) {
  if (roots.empty()) return -1;
  double t0 = 0, t1 = 0;
  for (size_t i = 0; i < roots.size(); ++i) {
    if (c0[i] < 0 || c1[i] < 0) {
      std::fprintf(stderr, "imap_load: cannot read /proc/%ld/stat\n", roots[i]);
      return -1;
    }
    t0 += c0[i];
    t1 += c1[i];
  }
  double cpu = print_server_cpu(t0, t1, roots[0], elapsed);
  if (roots.size() > 1) {
    std::printf(",\"server_cpu_seconds_each\":[");
    for (size_t i = 0; i < roots.size(); ++i) std::printf("%s%.2f", i ? "," : "", c1[i] - c0[i]);
    std::printf("]");
  }
  return cpu;
}


long mem_available_kib() { return proc_kib("/proc/meminfo", "MemAvailable"); }

// ---------------------------------------------------------------------------------------------
// IMAP helpers

std::string imap_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool starts_with_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != std::toupper(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

// Position of `word` in `s` as a whole token (preceded by '(' or ' ', followed by ' '), or npos.
size_t find_token(std::string_view s, std::string_view word) {
  size_t pos = 0;
  while ((pos = s.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == '(';
    size_t e = pos + word.size();
    bool right = e < s.size() && s[e] == ' ';
    if (left && right) return pos;
    pos = e;
  }
  return std::string_view::npos;
}

bool number_after(std::string_view s, std::string_view word, uint64_t& out) {
  size_t p = find_token(s, word);
  if (p == std::string_view::npos) return false;
  p += word.size() + 1;
  auto [e, ec] = std::from_chars(s.data() + p, s.data() + s.size(), out);
  return ec == std::errc();
}

std::string shorten(std::string_view s, size_t n = 200) {
  std::string out(s.substr(0, n));
  for (auto& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  if (s.size() > n) out += "...";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Command kinds (mixed mode's statistics)

enum Kind : int {
  k_fetch_page,
  k_fetch_body,
  k_store,
  k_append,
  k_search_unseen,
  k_search_subject,
  k_expunge,
  k_noop,
  k_idle,
  k_count
};
constexpr const char* kind_names[k_count] = {"fetch_page",     "fetch_body", "store", "append", "search_unseen",
                                             "search_subject", "expunge",    "noop",  "idle"};

// The steps of the mixed cycle.
enum Step : int {
  s_page,
  s_body,
  s_flip,
  s_noop,
  s_append,
  s_search_unseen,
  s_restore,
  s_search_subject,
  s_delete,
  s_expunge,
  s_idle,
};
constexpr Step cycle[] = {s_page,   s_body,           s_flip,   s_noop,    s_body,
                          s_append, s_search_unseen,  s_restore, s_page,   s_body,
                          s_search_subject, s_delete, s_expunge, s_idle,   s_noop};
constexpr size_t cycle_len = sizeof cycle / sizeof cycle[0];

struct KindStats {
  uint64_t count = 0;
  uint64_t errors = 0;      // NO, BAD or a failed check (in the window or not)
  std::string first_error;
  std::vector<float> lat_ms;
};

// ---------------------------------------------------------------------------------------------
// Shared state between the loops and the main thread.

struct Shared {
  const Options* opt = nullptr;
  uint64_t seed = 1;
  // Phases: the loops only read these.
  std::atomic<bool> go{false};          // mixed: start the cycle
  std::atomic<bool> measuring{false};   // mixed: count what completes
  std::atomic<bool> stop{false};        // mixed: finish (clean up, log out); idle: end IDLE, log out
  std::atomic<bool> no_more_starts{false};  // idle: stop opening connections
  std::atomic<bool> quit{false};        // leave the loop
  // Progress
  std::atomic<uint64_t> next_message{0};  // append: the next index to append
  std::atomic<uint64_t> appended{0};
  std::atomic<uint64_t> appended_bytes{0};
  std::atomic<uint64_t> started{0};  // connections opened
  std::atomic<uint64_t> logged_in{0};
  std::atomic<uint64_t> login_failures{0};
  std::atomic<uint64_t> logins_finished{0};
  std::atomic<uint64_t> idling{0};       // idle: connections that reached IDLE
  std::atomic<uint64_t> done_ok{0};      // idle: IDLE ended with OK
  std::atomic<uint64_t> finished{0};     // connections that logged out or were lost
  std::atomic<uint64_t> errors{0};
  std::atomic<int64_t> mailbox_messages{-1};
  std::mutex err_mu;
  std::string first_error;
  void error(const std::string& e) {
    errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lk(err_mu);
    if (first_error.empty()) first_error = e;
  }
  std::string get_first_error() {
    std::lock_guard<std::mutex> lk(err_mu);
    return first_error;
  }
};

// ---------------------------------------------------------------------------------------------
// One event loop with a set of connections.

class Loop {
 public:
  enum class St : uint8_t {
    unstarted,
    connecting,
    greeting,
    login,
    capability,
    select,
    ready,      // logged in (and selected); a command may be in flight (busy)
    idle_wait,  // idle mode: IDLE sent, waiting for "+"
    idling,     // idle mode: in IDLE
    done_sent,  // idle mode: DONE sent
    status,     // append mode: STATUS sent
    logout,
    closed
  };

  struct PageEntry {
    uint32_t uid, size;
    bool seen;
  };

  struct Conn {
    int fd = -1;
    St st = St::unstarted;
    bool want_out = false;
    bool busy = false;      // a command is in flight
    bool counted = false;   // the connection's finish was counted
    bool login_done = false;
    std::string in;
    size_t scan = 0;       // where to look for the next line end in `in`
    size_t lit_left = 0;   // bytes of a literal still to skip
    std::string resp;      // the response being read (literal contents left out)
    std::vector<uint32_t> lits;  // sizes of its literals
    std::string out;
    size_t out_off = 0;
    uint32_t tagn = 0;
    char tag[16] = {};
    // Capabilities
    bool literal_plus = false, uidplus = false;
    // The command in flight
    Kind kind = k_noop;
    Step step = s_noop;
    Clock::time_point sent_at;
    std::string cmd_text;        // for error messages
    std::string pending_literal; // sent on "+" (synchronizing literal)
    bool got_plus = false;
    uint32_t lo = 0, hi = 0, want_uid = 0, want_size = 0;
    bool want_seen = false;
    uint32_t hits = 0;
    uint32_t expunges = 0;
    bool search_seen = false;
    bool check_failed = false;
    Clock::time_point plus_at{};       // mixed: when IDLE's "+" came
    Clock::time_point idle_done_at{};  // mixed: when to send DONE (after --idle-ms)
    Clock::duration held{};            // how long IDLE was held (not part of its latency)
    // Mailbox knowledge
    uint32_t exists = 0;
    uint32_t base = 0;  // EXISTS at SELECT
    std::vector<PageEntry> page;
    uint32_t flipped_uid = 0;  // the message whose \Seen this client flipped
    bool flipped_was_seen = false;
    uint32_t appended_uid = 0;  // the message this client appended and has not expunged yet
    bool appended_pending = false;
    size_t cycle_pos = 0;
    bool cleaning = false;
    Rng rng{0};
    uint64_t append_index = 0;
  };

  // Connection i of this loop is connection first_id + i of the run; it goes to the server at
  // addrs[(first_id + i) % addrs.size()].
  Loop(Shared& sh, const std::vector<Address>& addrs, size_t nconns, uint32_t first_id)
      : sh_(sh), opt_(*sh.opt), addrs_(addrs), first_id_(first_id), conns_(nconns), scratch_(1 << 16) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die("epoll_create1: " + errno_text(errno));
    for (size_t i = 0; i < conns_.size(); ++i) conns_[i].rng = Rng(sh.seed * 7919 + first_id + i);
    if (opt_.trace >= first_id && opt_.trace < static_cast<long>(first_id + nconns))
      trace_idx_ = static_cast<uint32_t>(opt_.trace - first_id);
    stats_.resize(k_count);
  }
  ~Loop() {
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    if (ep_ >= 0) ::close(ep_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  std::vector<KindStats>& stats() { return stats_; }
  uint64_t store_without_fetch() const { return store_without_fetch_; }
  uint64_t store_flags_raced() const { return store_flags_raced_; }
  uint64_t flag_stores() const { return flag_stores_; }

  void run() {
    epoll_event evs[512];
    start_more();
    auto last_sweep = Clock::now();
    bool started_cycle = false, stopping = false;
    while (!sh_.quit.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep_, evs, 512, 5);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait: " + errno_text(errno));
      }
      for (int i = 0; i < n; ++i) handle(evs[i].data.u32, evs[i].events);
      auto now = Clock::now();
      if (!started_cycle && sh_.go.load(std::memory_order_acquire)) {
        started_cycle = true;
        for (uint32_t i = 0; i < conns_.size(); ++i)
          if (conns_[i].st == St::ready && !conns_[i].busy) advance(i);
      }
      if (!stopping && sh_.stop.load(std::memory_order_acquire)) {
        stopping = true;
        for (uint32_t i = 0; i < conns_.size(); ++i) {
          Conn& c = conns_[i];
          if (opt_.mode == "idle") {
            if (c.st == St::idling) send_done(i);
            else if (c.st == St::unstarted) finish(i);
          } else if (opt_.mode == "mixed" && c.st == St::ready && !c.busy) {
            advance(i);
          }
        }
      }
      if (stopping || sh_.no_more_starts.load(std::memory_order_relaxed)) {
        for (uint32_t i = next_to_start_; i < conns_.size(); ++i) finish(i);
        next_to_start_ = conns_.size();
      }
      // Held IDLEs due, and (once a second) commands unanswered for too long.
      if (!holds_.empty()) {
        for (size_t k = 0; k < holds_.size();) {
          Conn& c = conns_[holds_[k]];
          if (c.idle_done_at <= now) {
            uint32_t idx = holds_[k];
            holds_[k] = holds_.back();
            holds_.pop_back();
            if (c.st == St::ready && c.kind == k_idle && c.got_plus) {
              c.held = now - c.plus_at;
              send_raw(idx, "DONE\r\n");
            }
          } else {
            ++k;
          }
        }
      }
      if (now - last_sweep > std::chrono::seconds(1)) {
        last_sweep = now;
        auto limit = to_duration(opt_.timeout);
        if (opt_.mode != "idle") {
          for (uint32_t i = 0; i < conns_.size(); ++i) {
            Conn& c = conns_[i];
            if (c.fd >= 0 && c.busy && now - c.sent_at > limit)
              lost(i, "no response to '" + c.cmd_text + "' within " + std::to_string(opt_.timeout) + " s");
          }
        }
      }
    }
  }

 private:
  // --- connection management -----------------------------------------------------------------

  void start_more() {
    while (next_to_start_ < conns_.size() && starting_ < static_cast<size_t>(opt_.inflight) &&
           !sh_.no_more_starts.load(std::memory_order_relaxed) && !sh_.stop.load(std::memory_order_relaxed)) {
      uint32_t idx = static_cast<uint32_t>(next_to_start_++);
      ++starting_;
      sh_.started.fetch_add(1, std::memory_order_relaxed);
      start_connect(idx);
    }
  }

  void setup_finished(uint32_t idx, bool ok, const std::string& why) {
    Conn& c = conns_[idx];
    if (c.login_done) return;
    c.login_done = true;
    --starting_;
    sh_.logins_finished.fetch_add(1, std::memory_order_relaxed);
    if (ok) {
      sh_.logged_in.fetch_add(1, std::memory_order_relaxed);
    } else {
      sh_.login_failures.fetch_add(1, std::memory_order_relaxed);
      sh_.error("login: " + why);
    }
    start_more();
  }

  void start_connect(uint32_t idx) {
    Conn& c = conns_[idx];
    const Address& addr = addrs_[(first_id_ + idx) % addrs_.size()];
    int fd = ::socket(addr.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      setup_finished(idx, false, "socket: " + errno_text(errno) + (errno == EMFILE ? " (raise ulimit -n)" : ""));
      finish(idx);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.fd = fd;
    c.st = St::connecting;
    int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr.addr), addr.len);
    if (rc != 0 && errno != EINPROGRESS) {
      lost(idx, "connect: " + errno_text(errno));
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u32 = idx;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl: " + errno_text(errno));
    c.want_out = true;
  }

  void set_want_out(uint32_t idx, bool want) {
    Conn& c = conns_[idx];
    if (c.want_out == want || c.fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u32 = idx;
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0) die("epoll_ctl: " + errno_text(errno));
    c.want_out = want;
  }

  // The connection is done with (logged out, lost, or never started).
  void finish(uint32_t idx) {
    Conn& c = conns_[idx];
    if (c.fd >= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
    c.st = St::closed;
    c.busy = false;
    std::string().swap(c.in);
    std::string().swap(c.out);
    std::string().swap(c.resp);
    c.out_off = 0;
    if (!c.counted) {
      c.counted = true;
      sh_.finished.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void lost(uint32_t idx, const std::string& why) {
    Conn& c = conns_[idx];
    if (c.st == St::closed) return;
    if (!c.login_done) {
      setup_finished(idx, false, why);
    } else if (c.st != St::logout) {
      sh_.error("connection lost (" + why + ")" + (c.busy ? " during '" + c.cmd_text + "'" : ""));
    }
    finish(idx);
  }

  // --- output --------------------------------------------------------------------------------

  bool flush(uint32_t idx) {
    Conn& c = conns_[idx];
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_want_out(idx, true);
        return true;
      }
      lost(idx, "send: " + errno_text(errno));
      return false;
    }
    c.out.clear();
    c.out_off = 0;
    if (c.out.capacity() > 65536) std::string().swap(c.out);
    set_want_out(idx, false);
    return true;
  }

  void send_raw(uint32_t idx, std::string_view s) {
    Conn& c = conns_[idx];
    c.out.append(s);
    flush(idx);
  }

  // Sends "TAG text\r\n" (and, after it, `literal` when given: with LITERAL+ at once, else on
  // the server's "+"). `text` must end with the literal's "{N}" when there is one.
  void send_command(uint32_t idx, Kind kind, std::string text, std::string literal = {}, bool plus = false) {
    Conn& c = conns_[idx];
    std::snprintf(c.tag, sizeof c.tag, "A%u", ++c.tagn);
    c.kind = kind;
    c.busy = true;
    c.got_plus = false;
    c.hits = 0;
    c.expunges = 0;
    c.search_seen = false;
    c.check_failed = false;
    c.held = {};
    c.cmd_text = text.size() > 120 ? text.substr(0, 120) + "..." : text;
    c.sent_at = Clock::now();
    if (idx == trace_idx_) trace('C', std::string(c.tag) + " " + text);
    c.out += c.tag;
    c.out += ' ';
    if (!literal.empty() && plus) {
      text.insert(text.size() - 1, "+");  // {N} -> {N+}
      c.out += text;
      c.out += "\r\n";
      c.out += literal;
      c.out += "\r\n";
    } else {
      c.out += text;
      c.out += "\r\n";
      if (!literal.empty()) {
        c.pending_literal = std::move(literal);
        c.pending_literal += "\r\n";
      }
    }
    flush(idx);
  }

  // --- input ---------------------------------------------------------------------------------

  void handle(uint32_t idx, uint32_t events) {
    Conn& c = conns_[idx];
    if (c.fd < 0) return;
    if (c.st == St::connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        lost(idx, "connect: " + errno_text(err));
        return;
      }
      c.st = St::greeting;
      c.sent_at = Clock::now();
      set_want_out(idx, false);
      return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (!read_some(idx)) return;
    }
    if ((events & EPOLLOUT) && c.fd >= 0) flush(idx);
  }

  bool read_some(uint32_t idx) {
    Conn& c = conns_[idx];
    for (int round = 0; round < 8; ++round) {
      ssize_t n = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
      if (n == 0) {
        lost(idx, "closed by the server");
        return false;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        lost(idx, "recv: " + errno_text(errno));
        return false;
      }
      c.in.append(scratch_.data(), static_cast<size_t>(n));
      if (!parse_input(idx)) return false;
      if (static_cast<size_t>(n) < scratch_.size()) break;
    }
    return c.fd >= 0;
  }

  // Splits the input into responses (a line, or lines joined by literals whose contents are
  // skipped: only their sizes are kept). Returns false if the connection was dropped.
  bool parse_input(uint32_t idx) {
    Conn& c = conns_[idx];
    size_t pos = 0;
    for (;;) {
      if (c.lit_left) {
        size_t take = std::min(c.lit_left, c.in.size() - pos);
        pos += take;
        c.lit_left -= take;
        if (c.lit_left) break;
        c.scan = pos;
        continue;
      }
      size_t from = std::max(pos, c.scan);
      const void* nl = from < c.in.size() ? std::memchr(c.in.data() + from, '\n', c.in.size() - from) : nullptr;
      if (!nl) {
        c.scan = c.in.size();
        break;
      }
      size_t end = static_cast<size_t>(static_cast<const char*>(nl) - c.in.data());
      std::string_view line(c.in.data() + pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = end + 1;
      c.scan = pos;
      // A literal announced at the end of the line: {N}
      size_t lit = 0;
      bool has_lit = false;
      if (!line.empty() && line.back() == '}') {
        size_t ob = line.rfind('{');
        if (ob != std::string_view::npos) {
          auto [p, ec] = std::from_chars(line.data() + ob + 1, line.data() + line.size() - 1, lit);
          has_lit = ec == std::errc() && p == line.data() + line.size() - 1;
        }
      }
      c.resp.append(line);
      if (has_lit) {
        c.lits.push_back(static_cast<uint32_t>(lit));
        c.lit_left = lit;
        continue;
      }
      std::string_view r = c.resp;
      bool alive = on_response(idx, r);
      if (c.fd < 0) return false;
      c.resp.clear();
      c.lits.clear();
      if (c.resp.capacity() > 65536) std::string().swap(c.resp);
      if (!alive) return false;
    }
    c.in.erase(0, pos);
    c.scan -= std::min(c.scan, pos);
    if (c.in.empty() && c.in.capacity() > 65536) std::string().swap(c.in);
    return true;
  }

  // --- responses -----------------------------------------------------------------------------

  void parse_caps(Conn& c, std::string_view s) {
    c.literal_plus = find_token(std::string(s) + " ", "LITERAL+") != std::string_view::npos;
    c.uidplus = find_token(std::string(s) + " ", "UIDPLUS") != std::string_view::npos;
  }

  void trace(char who, std::string_view line) {
    std::fprintf(stderr, "imap_load: %c: %s\n", who, shorten(line, 300).c_str());
  }

  bool on_response(uint32_t idx, std::string_view r) {
    Conn& c = conns_[idx];
    if (idx == trace_idx_) trace('S', r);
    if (r.empty()) return true;
    if (r[0] == '+') return on_continuation(idx);
    if (r.size() >= 2 && r[0] == '*' && r[1] == ' ') return on_untagged(idx, r.substr(2));
    // Tagged
    size_t sp = r.find(' ');
    std::string_view tag = r.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view() : r.substr(sp + 1);
    if (!c.busy || tag != c.tag) {
      sh_.error("unexpected tagged response: " + shorten(r));
      return true;
    }
    std::string_view status = rest.substr(0, rest.find(' '));
    bool ok = status == "OK";
    return on_tagged(idx, ok, status, r);
  }

  bool on_untagged(uint32_t idx, std::string_view u) {
    Conn& c = conns_[idx];
    if (c.st == St::greeting) {
      if (starts_with_ci(u, "OK")) {
        if (size_t p = u.find("[CAPABILITY "); p != std::string_view::npos) parse_caps(c, u.substr(p + 12));
        c.st = St::login;
        send_command(idx, k_noop, "LOGIN " + imap_quote(opt_.user) + " " + imap_quote(opt_.password));
        return true;
      }
      lost(idx, "greeting: " + shorten(u));
      return false;
    }
    if (starts_with_ci(u, "BYE")) {
      if (c.st != St::logout) sh_.error("server said * " + shorten(u) + (c.busy ? " during '" + c.cmd_text + "'" : ""));
      return true;
    }
    if (starts_with_ci(u, "CAPABILITY ")) {
      parse_caps(c, u.substr(11));
      return true;
    }
    if (starts_with_ci(u, "SEARCH") || starts_with_ci(u, "ESEARCH")) {
      c.search_seen = true;
      return true;
    }
    if (starts_with_ci(u, "STATUS ")) {
      uint64_t m = 0;
      if (size_t p = u.find("MESSAGES "); p != std::string_view::npos) {
        std::from_chars(u.data() + p + 9, u.data() + u.size(), m);
        sh_.mailbox_messages.store(static_cast<int64_t>(m));
      }
      return true;
    }
    if (u.empty() || !std::isdigit(static_cast<unsigned char>(u[0]))) return true;
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(u.data(), u.data() + u.size(), n);
    std::string_view what = u.substr(static_cast<size_t>(p - u.data()));
    if (starts_with_ci(what, " EXISTS")) {
      c.exists = static_cast<uint32_t>(n);
    } else if (starts_with_ci(what, " EXPUNGE")) {
      if (c.exists) --c.exists;
      ++c.expunges;
    } else if (starts_with_ci(what, " FETCH")) {
      on_fetch(idx, static_cast<uint32_t>(n), what);
    }
    return true;
  }

  void check_failed(Conn& c, const std::string& why) {
    if (c.check_failed) return;
    c.check_failed = true;
    std::string e = "'" + c.cmd_text + "': " + why;
    KindStats& ks = stats_[c.kind];
    ++ks.errors;
    if (ks.first_error.empty()) ks.first_error = e;
    sh_.error(e);
  }

  void on_fetch(uint32_t idx, uint32_t seq, std::string_view f) {
    Conn& c = conns_[idx];
    if (!c.busy || c.st != St::ready) return;
    uint64_t uid = 0, size = 0;
    bool has_uid = number_after(f, "UID", uid);
    switch (c.step) {
      case s_page: {
        if (seq < c.lo || seq > c.hi || f.find("RFC822.SIZE") == std::string_view::npos) return;  // a flag update
        ++c.hits;
        bool has_size = number_after(f, "RFC822.SIZE", size);
        size_t fl = f.find("FLAGS (");
        if (!has_uid || !has_size || fl == std::string_view::npos || c.lits.empty() ||
            f.find("HEADER.FIELDS") == std::string_view::npos) {
          check_failed(c, "incomplete page response: " + shorten(f));
          return;
        }
        std::string_view flags = f.substr(fl + 7, f.find(')', fl) - fl - 7);
        c.page.push_back({static_cast<uint32_t>(uid), static_cast<uint32_t>(size),
                          flags.find("\\Seen") != std::string_view::npos});
        break;
      }
      case s_body:
        if (!has_uid || uid != c.want_uid || c.lits.empty()) return;
        ++c.hits;
        if (c.lits.back() != c.want_size)
          check_failed(c, "BODY[] has " + std::to_string(c.lits.back()) + " bytes, RFC822.SIZE said " +
                              std::to_string(c.want_size));
        break;
      case s_flip:
      case s_restore: {
        if (!has_uid || uid != c.want_uid) return;
        size_t fl = f.find("FLAGS (");
        if (fl == std::string_view::npos) return;
        ++c.hits;
        std::string_view flags = f.substr(fl + 7, f.find(')', fl) - fl - 7);
        bool seen = flags.find("\\Seen") != std::string_view::npos;
        // The FETCH gives the message's flags when it is sent: another client may have flipped
        // the same message in between. Counted, not an error (rare on a large mailbox; a STORE
        // that did nothing would show it on every one).
        if (seen != c.want_seen) ++store_flags_raced_;
        break;
      }
      default:
        break;
    }
  }

  bool on_continuation(uint32_t idx) {
    Conn& c = conns_[idx];
    if (!c.busy) {
      sh_.error("unexpected continuation request");
      return true;
    }
    if (!c.pending_literal.empty()) {
      c.out += c.pending_literal;
      std::string().swap(c.pending_literal);
      return flush(idx);
    }
    if (c.st == St::idle_wait) {  // idle mode
      c.st = St::idling;
      c.got_plus = true;
      sh_.idling.fetch_add(1, std::memory_order_relaxed);
      if (!c.login_done) setup_finished(idx, true, "");
      if (sh_.stop.load(std::memory_order_relaxed)) send_done(idx);
      return true;
    }
    if (c.kind == k_idle && !c.got_plus) {  // mixed mode
      c.got_plus = true;
      if (opt_.idle_ms > 0 && !c.cleaning) {
        c.plus_at = Clock::now();
        c.idle_done_at = c.plus_at + std::chrono::milliseconds(opt_.idle_ms);
        holds_.push_back(idx);
        return true;
      }
      c.out += "DONE\r\n";
      return flush(idx);
    }
    sh_.error("unexpected continuation request during '" + c.cmd_text + "'");
    return true;
  }

  void send_done(uint32_t idx) {
    Conn& c = conns_[idx];
    c.st = St::done_sent;
    c.out += "DONE\r\n";
    flush(idx);
  }

  bool on_tagged(uint32_t idx, bool ok, std::string_view status, std::string_view r) {
    Conn& c = conns_[idx];
    c.busy = false;
    std::string().swap(c.pending_literal);
    switch (c.st) {
      case St::login:
        if (!ok) {
          lost(idx, "LOGIN: " + shorten(r));
          return false;
        }
        if (size_t p = r.find("[CAPABILITY "); p != std::string_view::npos) parse_caps(c, r.substr(p + 12));
        c.st = St::capability;
        send_command(idx, k_noop, "CAPABILITY");
        return true;
      case St::capability:
        if (!ok) {
          lost(idx, "CAPABILITY: " + shorten(r));
          return false;
        }
        if (opt_.mode == "append") {
          c.st = St::ready;
          setup_finished(idx, true, "");
          next_append(idx);
        } else {
          c.st = St::select;
          send_command(idx, k_noop, "SELECT " + imap_quote(opt_.mailbox));
        }
        return true;
      case St::select:
        if (!ok) {
          lost(idx, "SELECT: " + shorten(r));
          return false;
        }
        c.base = c.exists;
        if (opt_.mode == "idle") {
          c.st = St::idle_wait;
          send_command(idx, k_idle, "IDLE");
        } else {
          c.st = St::ready;
          setup_finished(idx, true, "");
          if (sh_.go.load(std::memory_order_acquire)) advance(idx);
        }
        return true;
      case St::idle_wait:
        lost(idx, "IDLE: " + shorten(r));
        return false;
      case St::idling:
      case St::done_sent:
        if (ok) sh_.done_ok.fetch_add(1, std::memory_order_relaxed);
        else sh_.error("IDLE ended with " + shorten(r));
        logout(idx);
        return true;
      case St::status:
        if (!ok) sh_.error("STATUS: " + shorten(r));
        logout(idx);
        return true;
      case St::logout:
        finish(idx);
        return false;
      case St::ready:
        break;
      default:
        sh_.error("tagged response in an unexpected state: " + shorten(r));
        return true;
    }
    auto now = Clock::now();
    if (opt_.mode == "append") {
      if (!ok) {
        sh_.error("APPEND of message " + std::to_string(c.append_index) + ": " + shorten(r));
      } else {
        sh_.appended.fetch_add(1, std::memory_order_relaxed);
        stats_[k_append].lat_ms.push_back(
            static_cast<float>(std::chrono::duration<double, std::milli>(now - c.sent_at).count()));
      }
      next_append(idx);
      return c.fd >= 0;
    }
    // Mixed mode: check, count, go on.
    if (!ok) {
      check_failed(c, std::string(status) + ": " + shorten(r));
    } else {
      switch (c.step) {
        case s_page:
          if (c.hits != c.hi - c.lo + 1)
            check_failed(c, "returned " + std::to_string(c.hits) + " of " + std::to_string(c.hi - c.lo + 1) +
                                " messages");
          break;
        case s_body:
          if (c.hits != 1) check_failed(c, std::to_string(c.hits) + " FETCH responses with BODY[] for the UID");
          break;
        case s_flip:
        case s_restore:
          // A STORE that changes nothing (another client flipped the same flag meanwhile) may
          // be answered without FETCH; counted, not an error.
          ++flag_stores_;
          if (c.hits == 0) ++store_without_fetch_;
          break;
        case s_append: {
          uint64_t v = 0, u = 0;
          size_t p = r.find("[APPENDUID ");
          if (p != std::string_view::npos) {
            auto [e, ec] = std::from_chars(r.data() + p + 11, r.data() + r.size(), v);
            if (ec == std::errc() && *e == ' ') std::from_chars(e + 1, r.data() + r.size(), u);
          }
          // Without UIDPLUS the message's UID is unknown: it stays (the mailbox grows).
          if (u) {
            c.appended_uid = static_cast<uint32_t>(u);
            c.appended_pending = true;
          } else if (c.uidplus) {
            check_failed(c, "no APPENDUID: " + shorten(r));
          }
          break;
        }
        case s_search_unseen:
        case s_search_subject:
          if (!c.search_seen) check_failed(c, "no SEARCH response");
          break;
        case s_expunge:
          if (c.uidplus && c.expunges == 0) check_failed(c, "no EXPUNGE response");
          c.appended_uid = 0;
          c.appended_pending = false;
          break;
        default:
          break;
      }
    }
    // Only commands that succeeded (OK, checks passed) count; the others are errors.
    if (!c.cleaning && !c.check_failed && sh_.measuring.load(std::memory_order_relaxed)) {
      auto lat = now - c.sent_at - c.held;
      KindStats& ks = stats_[c.kind];
      ++ks.count;
      ks.lat_ms.push_back(static_cast<float>(std::chrono::duration<double, std::milli>(lat).count()));
    }
    advance(idx);
    return c.fd >= 0;
  }

  void logout(uint32_t idx) {
    Conn& c = conns_[idx];
    c.st = St::logout;
    send_command(idx, k_noop, "LOGOUT");
  }

  // --- append mode ---------------------------------------------------------------------------

  void next_append(uint32_t idx) {
    Conn& c = conns_[idx];
    uint64_t i = sh_.next_message.fetch_add(1, std::memory_order_relaxed);
    if (i >= static_cast<uint64_t>(opt_.count)) {
      // The last connection to finish (every other APPEND has been answered) asks for the
      // mailbox's size; the others log out. Append mode runs one loop.
      if (++done_appending_ == conns_.size()) {
        c.st = St::status;
        send_command(idx, k_noop, "STATUS " + imap_quote(opt_.mailbox) + " (MESSAGES)");
      } else {
        logout(idx);
      }
      return;
    }
    c.append_index = static_cast<uint64_t>(opt_.first) + i;
    Message m = make_message(sh_.seed, c.append_index);
    sh_.appended_bytes.fetch_add(m.data.size(), std::memory_order_relaxed);
    std::string text = "APPEND " + imap_quote(opt_.mailbox) + " " + m.flags + " \"" + m.internal_date + "\" {" +
                       std::to_string(m.data.size()) + "}";
    send_command(idx, k_append, std::move(text), std::move(m.data), c.literal_plus);
  }

  // --- mixed mode ----------------------------------------------------------------------------

  // Starts the client's next command.
  void advance(uint32_t idx) {
    Conn& c = conns_[idx];
    if (c.fd < 0 || c.busy) return;
    if (sh_.stop.load(std::memory_order_relaxed)) {
      // Put back what this client changed, then log out.
      c.cleaning = true;
      if (c.flipped_uid) {
        do_step(idx, s_restore);
        return;
      }
      if (c.appended_uid && c.appended_pending) {
        do_step(idx, s_delete);
        return;
      }
      if (c.appended_uid) {
        do_step(idx, s_expunge);
        return;
      }
      logout(idx);
      return;
    }
    for (int tries = 0; tries < static_cast<int>(cycle_len); ++tries) {
      Step s = cycle[c.cycle_pos];
      c.cycle_pos = (c.cycle_pos + 1) % cycle_len;
      if (do_step(idx, s)) return;
    }
    do_step(idx, s_noop);
  }

  // Sends the command of step `s`; false when it does not apply now (nothing to restore, say).
  bool do_step(uint32_t idx, Step s) {
    Conn& c = conns_[idx];
    c.step = s;
    char buf[256];
    switch (s) {
      case s_page: {
        if (c.exists == 0) return false;
        // Pages come from the messages that were there at SELECT (the imported ones): the
        // appended ones at the end come and go.
        uint32_t top = std::min(c.base ? c.base : c.exists, c.exists);
        uint32_t span = std::min<uint32_t>(50, top);
        c.lo = 1 + static_cast<uint32_t>(c.rng.below(top - span + 1));
        c.hi = c.lo + span - 1;
        c.page.clear();
        std::snprintf(buf, sizeof buf,
                      "FETCH %u:%u (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])", c.lo,
                      c.hi);
        send_command(idx, k_fetch_page, buf);
        return true;
      }
      case s_body: {
        if (c.page.empty()) return false;
        const PageEntry& e = c.page[c.rng.below(c.page.size())];
        c.want_uid = e.uid;
        c.want_size = e.size;
        std::snprintf(buf, sizeof buf, "UID FETCH %u BODY.PEEK[]", e.uid);
        send_command(idx, k_fetch_body, buf);
        return true;
      }
      case s_flip: {
        if (c.page.empty() || c.flipped_uid) return false;
        const PageEntry& e = c.page[c.rng.below(c.page.size())];
        c.flipped_uid = e.uid;
        c.flipped_was_seen = e.seen;
        c.want_uid = e.uid;
        c.want_seen = !e.seen;
        std::snprintf(buf, sizeof buf, "UID STORE %u %cFLAGS (\\Seen)", e.uid, e.seen ? '-' : '+');
        send_command(idx, k_store, buf);
        return true;
      }
      case s_restore: {
        if (!c.flipped_uid) return false;
        c.want_uid = c.flipped_uid;
        c.want_seen = c.flipped_was_seen;
        std::snprintf(buf, sizeof buf, "UID STORE %u %cFLAGS (\\Seen)", c.flipped_uid, c.flipped_was_seen ? '+' : '-');
        c.flipped_uid = 0;
        send_command(idx, k_store, buf);
        return true;
      }
      case s_noop:
        send_command(idx, k_noop, "NOOP");
        return true;
      case s_append: {
        if (c.appended_uid) return false;
        Message m = make_message(sh_.seed + 1, ++append_counter_ * 100003 + idx, true);
        std::string text = "APPEND " + imap_quote(opt_.mailbox) + " () {" + std::to_string(m.data.size()) + "}";
        send_command(idx, k_append, std::move(text), std::move(m.data), c.literal_plus);
        return true;
      }
      case s_search_unseen:
        send_command(idx, k_search_unseen, "UID SEARCH UNSEEN");
        return true;
      case s_search_subject:
        std::snprintf(buf, sizeof buf, "SEARCH SUBJECT \"%s\"", c.rng.pick(search_terms));
        send_command(idx, k_search_subject, buf);
        return true;
      case s_delete:
        if (!c.appended_uid || !c.appended_pending) return false;
        std::snprintf(buf, sizeof buf, "UID STORE %u +FLAGS.SILENT (\\Deleted)", c.appended_uid);
        c.appended_pending = false;  // marked; the expunge comes next
        send_command(idx, k_store, buf);
        return true;
      case s_expunge:
        if (!c.appended_uid || c.appended_pending) return false;
        if (c.uidplus) std::snprintf(buf, sizeof buf, "UID EXPUNGE %u", c.appended_uid);
        else std::snprintf(buf, sizeof buf, "EXPUNGE");
        send_command(idx, k_expunge, buf);
        return true;
      case s_idle:
        send_command(idx, k_idle, "IDLE");
        return true;
    }
    return false;
  }

  Shared& sh_;
  const Options& opt_;
  std::vector<Address> addrs_;
  uint32_t first_id_ = 0;
  std::vector<Conn> conns_;
  std::vector<char> scratch_;
  std::vector<KindStats> stats_;
  std::vector<uint32_t> holds_;
  int ep_ = -1;
  uint32_t trace_idx_ = UINT32_MAX;
  size_t next_to_start_ = 0;
  size_t starting_ = 0;
  size_t done_appending_ = 0;
  uint64_t append_counter_ = 0;
  uint64_t store_without_fetch_ = 0;
  uint64_t store_flags_raced_ = 0;
  uint64_t flag_stores_ = 0;  // \\Seen flips and restores answered OK, all (not just in the window)
};

// ---------------------------------------------------------------------------------------------
// Running loops

struct Run {
  Shared sh;
  std::vector<std::unique_ptr<Loop>> loops;
  std::vector<std::thread> threads;

  Run(const Options& o, size_t total) {
    sh.opt = &o;
    sh.seed = o.seed;
    std::vector<Address> addrs;
    for (const std::string& port : split_commas(o.port)) addrs.push_back(resolve(o.host, port));
    size_t nthreads = static_cast<size_t>(std::max(1L, o.threads));
    uint32_t first = 0;
    for (size_t t = 0; t < nthreads; ++t) {
      size_t share = total / nthreads + (t < total % nthreads ? 1 : 0);
      loops.push_back(std::make_unique<Loop>(sh, addrs, share, first));
      first += static_cast<uint32_t>(share);
    }
  }
  void start() {
    for (auto& l : loops) threads.emplace_back([&l] { l->run(); });
  }
  void join() {
    sh.quit.store(true);
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~Run() {
    if (!threads.empty()) join();
  }
};

void raise_nofile_or_warn() {
  if (!raise_nofile()) std::fprintf(stderr, "imap_load: cannot raise RLIMIT_NOFILE: %s\n", std::strerror(errno));
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

// Waits until every connection has logged in (or failed); dies on a failure or the timeout.
double wait_for_logins(Run& run, long expected, double timeout) {
  auto t0 = Clock::now();
  auto deadline = t0 + to_duration(timeout);
  while (run.sh.logins_finished.load() < static_cast<uint64_t>(expected)) {
    if (Clock::now() >= deadline) {
      std::string first = run.sh.get_first_error();
      run.join();
      die("timed out logging in (" + std::to_string(run.sh.logged_in.load()) + " of " + std::to_string(expected) +
          " logged in)" + (first.empty() ? "" : "; first error: " + first));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (run.sh.login_failures.load() != 0) {
    std::string first = run.sh.get_first_error();
    run.join();
    die(std::to_string(run.sh.login_failures.load()) + " of " + std::to_string(expected) +
        " logins failed; first: " + first);
  }
  return seconds_since(t0);
}

// ---------------------------------------------------------------------------------------------
// append mode

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<float>& v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]); };
  p.p50 = at(0.50);
  p.p90 = at(0.90);
  p.p99 = at(0.99);
  p.max = static_cast<double>(v.back());
  return p;
}


std::atomic<bool> g_terminated{false};  // SIGTERM or SIGINT: stop and report what was done

int run_append(const Options& o) {
  raise_nofile_or_warn();
  long conns = std::min(o.connections, o.count);
  Run run(o, static_cast<size_t>(conns));
  auto on_signal = [](int) { g_terminated.store(true); };
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::vector<double> cpu0 = trees_cpu_seconds(o.pids);
  double self0 = self_cpu_seconds(), mach0 = machine_busy_seconds();
  auto t0 = Clock::now();
  run.start();
  uint64_t last_report = 0;
  auto last_t = t0;
  // When each tenth of the messages was in: does the rate hold as the mailbox grows?
  std::vector<double> tenths;
  while (run.sh.finished.load() < static_cast<uint64_t>(conns)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint64_t done = run.sh.appended.load();
    while (tenths.size() < 10 && done >= (tenths.size() + 1) * static_cast<uint64_t>(o.count) / 10)
      tenths.push_back(seconds_since(t0));
    if (done - last_report >= 10000 || (done != last_report && seconds_since(last_t) > 10)) {
      std::fprintf(stderr, "imap_load: %llu of %ld appended (%.0f/s lately, %.0f/s overall)\n",
                   static_cast<unsigned long long>(done), o.count,
                   static_cast<double>(done - last_report) / seconds_since(last_t),
                   static_cast<double>(done) / seconds_since(t0));
      last_report = done;
      last_t = Clock::now();
    }
    if (run.sh.errors.load() > 100) break;
    if (g_terminated.load()) {
      run.sh.error("interrupted after " + std::to_string(done) + " of " + std::to_string(o.count) + " messages");
      break;
    }
  }
  double elapsed = seconds_since(t0);
  std::vector<double> cpu1 = trees_cpu_seconds(o.pids);
  double self1 = self_cpu_seconds(), mach1 = machine_busy_seconds();
  run.join();
  uint64_t n = run.sh.appended.load();
  double mb = static_cast<double>(run.sh.appended_bytes.load()) / 1e6;
  std::printf(
      "{\"mode\":\"append\",\"connections\":%ld,\"messages\":%llu,\"bytes\":%llu,\"seconds\":%.3f,"
      "\"messages_per_sec\":%.1f,\"mb_per_sec\":%.2f,\"mailbox_messages\":%lld,\"errors\":%llu",
      conns, static_cast<unsigned long long>(n), static_cast<unsigned long long>(run.sh.appended_bytes.load()),
      elapsed, static_cast<double>(n) / elapsed, mb / elapsed, static_cast<long long>(run.sh.mailbox_messages.load()),
      static_cast<unsigned long long>(run.sh.errors.load()));
  double tenth = static_cast<double>(o.count) / 10;
  if (!tenths.empty()) std::printf(",\"first_tenth_per_sec\":%.1f", tenth / tenths[0]);
  if (tenths.size() == 10) std::printf(",\"last_tenth_per_sec\":%.1f", tenth / (tenths[9] - tenths[8]));
  std::vector<float> lat;
  for (auto& l : run.loops) {
    auto& v = l->stats()[k_append].lat_ms;
    lat.insert(lat.end(), v.begin(), v.end());
  }
  Percentiles p = percentiles(lat);
  std::printf(",\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f", p.p50, p.p90, p.p99, p.max);
  double cpu = print_servers_cpu(cpu0, cpu1, o.pids, elapsed);
  if (cpu > 0) std::printf(",\"messages_per_server_cpu_sec\":%.1f", static_cast<double>(n) / cpu);
  print_cpu("client_", self1 - self0, elapsed);
  if (mach0 >= 0 && mach1 >= 0) print_cpu("machine_", mach1 - mach0, elapsed);
  return finish_json_line(run.sh.errors.load(), run.sh.get_first_error(),
                          n != static_cast<uint64_t>(o.count) ? "appended " + std::to_string(n) + " of " +
                                                                    std::to_string(o.count) + " messages"
                                                              : "");
}

// ---------------------------------------------------------------------------------------------
// mixed mode

int run_mixed(const Options& o) {
  raise_nofile_or_warn();
  check_nofile(o.clients, 32, "clients");
  Run run(o, static_cast<size_t>(o.clients));
  auto t_login = Clock::now();
  run.start();
  double login_seconds = wait_for_logins(run, o.clients, std::max(o.timeout, 0.05 * static_cast<double>(o.clients)));
  (void)t_login;
  run.sh.go.store(true, std::memory_order_release);
  sleep_s(o.warmup);
  std::vector<double> cpu0 = trees_cpu_seconds(o.pids);
  double self0 = self_cpu_seconds(), mach0 = machine_busy_seconds();
  uint64_t err0 = run.sh.errors.load();
  auto t0 = Clock::now();
  run.sh.measuring.store(true);
  sleep_s(o.seconds);
  run.sh.measuring.store(false);
  double elapsed = seconds_since(t0);
  std::vector<double> cpu1 = trees_cpu_seconds(o.pids);
  double self1 = self_cpu_seconds(), mach1 = machine_busy_seconds();
  uint64_t err_window = run.sh.errors.load() - err0;
  // Clean up and log out.
  run.sh.stop.store(true, std::memory_order_release);
  auto deadline = Clock::now() + to_duration(o.timeout);
  while (run.sh.finished.load() < static_cast<uint64_t>(o.clients) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  uint64_t unfinished = static_cast<uint64_t>(o.clients) - std::min<uint64_t>(o.clients, run.sh.finished.load());
  run.join();
  if (unfinished) run.sh.error(std::to_string(unfinished) + " clients did not finish cleaning up and logging out");

  std::vector<KindStats> all(k_count);
  for (auto& l : run.loops)
    for (int k = 0; k < k_count; ++k) {
      all[k].count += l->stats()[k].count;
      all[k].errors += l->stats()[k].errors;
      if (all[k].first_error.empty()) all[k].first_error = l->stats()[k].first_error;
      auto& v = l->stats()[k].lat_ms;
      all[k].lat_ms.insert(all[k].lat_ms.end(), v.begin(), v.end());
    }
  std::vector<float> overall;
  uint64_t total = 0, store_without_fetch = 0, store_flags_raced = 0, flag_stores = 0;
  for (auto& l : run.loops) {
    flag_stores += l->flag_stores();
    store_without_fetch += l->store_without_fetch();
    store_flags_raced += l->store_flags_raced();
  }
  for (auto& ks : all) {
    total += ks.count;
    overall.insert(overall.end(), ks.lat_ms.begin(), ks.lat_ms.end());
  }
  Percentiles po = percentiles(overall);
  uint64_t errors = run.sh.errors.load();
  std::printf(
      "{\"mode\":\"mixed\",\"clients\":%ld,\"seconds\":%g,\"threads\":%zu,\"login_seconds\":%.3f,"
      "\"commands\":%llu,\"commands_per_sec\":%.1f,\"measured_seconds\":%.3f,"
      "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"errors\":%llu,\"errors_in_window\":%llu",
      o.clients, o.seconds, run.loops.size(), login_seconds, static_cast<unsigned long long>(total),
      static_cast<double>(total) / elapsed, elapsed, po.p50, po.p90, po.p99, po.max,
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(err_window));
  std::printf(",\"flag_stores\":%llu,\"store_without_fetch\":%llu,\"store_flags_raced\":%llu",
              static_cast<unsigned long long>(flag_stores), static_cast<unsigned long long>(store_without_fetch),
              static_cast<unsigned long long>(store_flags_raced));
  for (int k = 0; k < k_count; ++k) {
    Percentiles p = percentiles(all[k].lat_ms);
    std::printf(",\"%s_count\":%llu,\"%s_per_sec\":%.1f,\"%s_p50_ms\":%.3f,\"%s_p90_ms\":%.3f,\"%s_p99_ms\":%.3f,"
                "\"%s_max_ms\":%.3f",
                kind_names[k], static_cast<unsigned long long>(all[k].count), kind_names[k],
                static_cast<double>(all[k].count) / elapsed, kind_names[k], p.p50, kind_names[k], p.p90,
                kind_names[k], p.p99, kind_names[k], p.max);
    std::printf(",\"%s_errors\":%llu", kind_names[k], static_cast<unsigned long long>(all[k].errors));
    if (!all[k].first_error.empty())
      std::printf(",\"%s_first_error\":%s", kind_names[k], json_string(all[k].first_error).c_str());
  }
  double cpu = print_servers_cpu(cpu0, cpu1, o.pids, elapsed);
  if (cpu > 0) std::printf(",\"commands_per_server_cpu_sec\":%.1f", static_cast<double>(total) / cpu);
  print_cpu("client_", self1 - self0, elapsed);
  if (mach0 >= 0 && mach1 >= 0) print_cpu("machine_", mach1 - mach0, elapsed);
  return finish_json_line(errors, run.sh.get_first_error(), total == 0 ? "no commands completed in the window" : "");
}

// ---------------------------------------------------------------------------------------------
// idle mode

int run_idle(const Options& o) {
  raise_nofile_or_warn();
  check_nofile(o.count, 32, "connections");
  TreeMemory before{}, baseline{}, after{};
  if (!o.pids.empty()) before = tree_memory(o.pids);

  // The first connection alone: its SELECT loads the mailbox once; the rest is per connection.
  Options first_opt = o;
  first_opt.count = 1;
  first_opt.threads = 1;
  Run first(first_opt, 1);
  first.start();
  auto deadline1 = Clock::now() + to_duration(o.timeout);
  while (first.sh.idling.load() < 1 && first.sh.finished.load() < 1 && Clock::now() < deadline1)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (first.sh.idling.load() < 1) {
    std::string why = first.sh.get_first_error();
    first.join();
    die("the first connection did not reach IDLE" + (why.empty() ? "" : ": " + why));
  }
  sleep_s(1);
  if (!o.pids.empty()) baseline = tree_memory(o.pids);
  long avail_baseline = mem_available_kib();

  long rest = o.count - 1;
  long min_avail_kib = o.min_available_mib * 1024;
  std::string stopped_by;
  double open_seconds = 0;
  std::unique_ptr<Run> run;
  Options rest_opt = o;  // outlives `run`, which points to it
  rest_opt.count = rest;
  if (rest > 0) {
    run = std::make_unique<Run>(rest_opt, static_cast<size_t>(rest));
    auto t0 = Clock::now();
    auto deadline = t0 + to_duration(o.timeout);
    run->start();
    uint64_t last = 0;
    auto last_t = t0;
    while (run->sh.logins_finished.load() < static_cast<uint64_t>(rest)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      long avail = mem_available_kib();
      if (avail >= 0 && avail < min_avail_kib) {
        stopped_by = "MemAvailable fell to " + std::to_string(avail / 1024) + " MiB";
        break;
      }
      if (Clock::now() >= deadline) {
        stopped_by = "timeout after " + std::to_string(o.timeout) + " s";
        break;
      }
      uint64_t now_idle = run->sh.idling.load();
      if (now_idle - last >= 1000 || seconds_since(last_t) > 10) {
        std::fprintf(stderr, "imap_load: %llu of %ld idling\n", static_cast<unsigned long long>(now_idle + 1),
                     o.count);
        last = now_idle;
        last_t = Clock::now();
      }
    }
    run->sh.no_more_starts.store(true);
    open_seconds = seconds_since(t0);
    if (!stopped_by.empty()) {
      std::fprintf(stderr, "imap_load: stopped opening connections: %s\n", stopped_by.c_str());
      // Let the logins in flight finish.
      auto d2 = Clock::now() + std::chrono::seconds(30);
      while (run->sh.logins_finished.load() < run->sh.started.load() && Clock::now() < d2)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      sleep_s(1);
    }
  }
  uint64_t reached = 1 + (run ? run->sh.idling.load() : 0);
  std::fprintf(stderr, "imap_load: %llu of %ld connections idling; holding\n",
               static_cast<unsigned long long>(reached), o.count);
  sleep_s(o.settle);
  if (!o.pids.empty()) after = tree_memory(o.pids);
  long avail_after = mem_available_kib();
  if (o.hold > 0) sleep_s(o.hold);
  uint64_t reached_end = 1 + (run ? run->sh.idling.load() : 0);

  // End IDLE everywhere: each must answer OK.
  if (run) run->sh.stop.store(true);
  first.sh.stop.store(true);
  auto deadline = Clock::now() + to_duration(std::max(o.timeout, 30.0));
  auto all_finished = [&] {
    return first.sh.finished.load() >= 1 && (!run || run->sh.finished.load() >= static_cast<uint64_t>(rest));
  };
  while (!all_finished() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  uint64_t done_ok = first.sh.done_ok.load() + (run ? run->sh.done_ok.load() : 0);
  uint64_t failures = run ? run->sh.login_failures.load() : 0;
  std::string first_error = first.sh.get_first_error();
  if (first_error.empty() && run) first_error = run->sh.get_first_error();
  uint64_t errors = first.sh.errors.load() + (run ? run->sh.errors.load() : 0);
  first.join();
  if (run) run->join();

  double n_rest = static_cast<double>(reached > 1 ? reached - 1 : 1);
  std::printf(
      "{\"mode\":\"idle\",\"target\":%ld,\"reached\":%llu,\"still_idle_at_end\":%llu,\"failed\":%llu,"
      "\"open_seconds\":%.3f,\"done_ok\":%llu",
      o.count, static_cast<unsigned long long>(reached), static_cast<unsigned long long>(reached_end),
      static_cast<unsigned long long>(failures), open_seconds, static_cast<unsigned long long>(done_ok));
  if (!o.pids.empty()) {
    std::printf(
        ",\"processes_before\":%ld,\"processes_after\":%ld,\"rss_before_kib\":%ld,\"rss_baseline_kib\":%ld,"
        "\"rss_after_kib\":%ld,\"pss_before_kib\":%ld,\"pss_baseline_kib\":%ld,\"pss_after_kib\":%ld,"
        "\"rss_per_conn_bytes\":%.0f,\"pss_per_conn_bytes\":%.0f",
        before.processes, after.processes, before.rss_kib, baseline.rss_kib, after.rss_kib, before.pss_kib,
        baseline.pss_kib, after.pss_kib, static_cast<double>(after.rss_kib - baseline.rss_kib) * 1024.0 / n_rest,
        static_cast<double>(after.pss_kib - baseline.pss_kib) * 1024.0 / n_rest);
  }
  // The machine's MemAvailable: what the connections cost the whole machine (kernel memory for
  // processes and sockets included, but also the load tool's and anything else's that changed).
  std::printf(",\"mem_available_baseline_mib\":%ld,\"mem_available_after_mib\":%ld,\"mem_available_drop_per_conn_bytes\":%.0f",
              avail_baseline / 1024, avail_after / 1024,
              static_cast<double>(avail_baseline - avail_after) * 1024.0 / n_rest);
  if (!stopped_by.empty()) std::printf(",\"stopped_by\":%s", json_string(stopped_by).c_str());
  std::string shortfall;
  if (done_ok < reached_end)
    shortfall = std::to_string(reached_end - done_ok) + " idling connections did not end IDLE with OK";
  else if (reached < static_cast<uint64_t>(o.count))
    shortfall = "reached " + std::to_string(reached) + " of " + std::to_string(o.count) + " connections" +
                (stopped_by.empty() ? "" : " (" + stopped_by + ")");
  // Failed logins are errors here (reported, not fatal: the memory figure still stands).
  return finish_json_line(errors, first_error, shortfall);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  if (o.mode == "append") return run_append(o);
  if (o.mode == "mixed") return run_mixed(o);
  if (o.mode == "idle") return run_idle(o);
  return run_free_port(o.host);
}
