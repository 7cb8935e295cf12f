#include "mail/mbox_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "base/error.hpp"
#include "mail/message_flags.hpp"

namespace ximssd::mail {

namespace fs = std::filesystem;

namespace {

bool is_separator(std::string_view line) { return line.size() >= 5 && line.substr(0, 5) == "From "; }

// ">From " lines lose one '>' (mboxrd; for mboxo files this only touches ">From " lines).
bool is_quoted_from(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == '>') ++i;
  return i > 0 && line.substr(i, 5) == "From ";
}

// The date of an mbox separator: "From sender Thu Jan  1 00:00:00 1970".
int64_t separator_date(std::string_view line) {
  // The asctime date is the last 24 characters (before any trailing time zone, which we ignore).
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.size() < 24 + 6) return 0;
  std::istringstream in(text.substr(text.size() - 24));
  std::tm tm{};
  in >> std::get_time(&tm, "%a %b %d %H:%M:%S %Y");
  if (in.fail()) return 0;
  int64_t t = timegm(&tm);
  return t > 0 ? t : 0;
}

void finish_message(std::string& body, int64_t date, const std::function<void(IncomingMessage&&)>& sink) {
  // The blank line before the next separator belongs to the mbox, not to the message.
  if (body.size() >= 2 && body.compare(body.size() - 2, 2, "\n\n") == 0) body.pop_back();
  if (body.empty()) return;
  IncomingMessage m;
  m.bytes = std::move(body);
  m.internal_date = date;
  sink(std::move(m));
  body.clear();
}

}  // namespace

void read_mbox(const std::string& path, const std::function<void(IncomingMessage&&)>& sink) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(ErrorCode::notFound, "cannot open " + path);
  read_mbox(in, path, sink);
}

void read_mbox(std::istream& in, const std::string& path, const std::function<void(IncomingMessage&&)>& sink) {
  std::string line, body;
  bool in_message = false;
  int64_t date = 0;
  while (std::getline(in, line)) {
    bool had_newline = !in.eof();
    if (is_separator(line)) {
      if (in_message) finish_message(body, date, sink);
      in_message = true;
      date = separator_date(line);
      body.clear();
      continue;
    }
    if (!in_message) {
      if (line.empty()) continue;
      throw Failure(ErrorCode::badRequest, path + " is not an mbox file (no \"From \" line at the start)");
    }
    while (!line.empty() && line.back() == '\r') line.pop_back();  // stored with LF line ends
    std::string_view text = line;
    if (is_quoted_from(text)) text.remove_prefix(1);
    body.append(text);
    if (had_newline) body.push_back('\n');
  }
  if (in.bad()) throw Failure(ErrorCode::internal, "cannot read " + path);
  if (in_message) finish_message(body, date, sink);
}

namespace {
uint32_t maildir_flags(const std::string& name) {
  auto info = name.rfind(":2,");
  if (info == std::string::npos) return 0;
  uint32_t flags = 0;
  for (char c : name.substr(info + 3)) {
    switch (c) {
      case 'S': flags |= kSeen; break;
      case 'R': flags |= kAnswered; break;
      case 'F': flags |= kFlagged; break;
      case 'T': flags |= kDeleted; break;
      case 'D': flags |= kDraft; break;
      case 'P': flags |= kRedirected; break;
      default: break;
    }
  }
  return flags;
}
}  // namespace

void read_maildir(const std::string& path, const std::function<void(IncomingMessage&&)>& sink) {
  if (!fs::is_directory(fs::path(path) / "cur") && !fs::is_directory(fs::path(path) / "new"))
    throw Failure(ErrorCode::badRequest, path + " is not a Maildir (no cur/ or new/)");
  for (const char* sub : {"cur", "new"}) {
    fs::path dir = fs::path(path) / sub;
    if (!fs::is_directory(dir)) continue;
    std::vector<fs::path> files;
    for (auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) throw Failure(ErrorCode::internal, "cannot read " + file.string());
      IncomingMessage m;
      m.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (m.bytes.empty()) continue;
      m.flags = maildir_flags(file.filename().string());
      struct stat st;
      if (::stat(file.c_str(), &st) == 0) m.internal_date = st.st_mtim.tv_sec;
      sink(std::move(m));
    }
  }
}

}  // namespace ximssd::mail
