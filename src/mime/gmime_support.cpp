#include "mime/gmime_support.hpp"

#include <algorithm>
#include <mutex>
#include <optional>

#include "base/base64.hpp"

namespace ximssd::mime {

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string take_gstring(char* text) {
  if (!text) return {};
  std::string out(text);
  g_free(text);
  return out;
}

GPtr<GMimeMessage> parse_message(std::string_view bytes) {
  ensure_gmime();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  return GPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), nullptr));
}

namespace {

// The parser's findings that mean the structure shown is a guess (not the merely untidy ones,
// such as a repeated field).
const char* structure_problem_text(GMimeParserWarning issue) {
  switch (issue) {
    case GMIME_WARN_MALFORMED_MULTIPART: return "a multipart without parts";
    case GMIME_WARN_TRUNCATED_MESSAGE: return "the message is truncated";
    case GMIME_WARN_MALFORMED_MESSAGE: return "the message is malformed";
    case GMIME_CRIT_INVALID_HEADER_NAME: return "an invalid header field name";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "a multipart without a boundary";
    case GMIME_CRIT_NESTING_OVERFLOW: return "parts nested too deeply";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "a part without header or content";
    default: return nullptr;
  }
}

void note_problem(gint64, GMimeParserWarning issue, const gchar*, gpointer found) {
  auto* problem = static_cast<std::string*>(found);
  if (const char* text = structure_problem_text(issue); text && problem->empty()) *problem = text;
}

}  // namespace

GPtr<GMimeMessage> parse_message(std::string_view bytes, std::string& structure_problem) {
  ensure_gmime();
  structure_problem.clear();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GMimeParserOptions* options = g_mime_parser_options_new();
  g_mime_parser_options_set_warning_callback(options, note_problem, &structure_problem);
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options));
  g_mime_parser_options_free(options);
  return message;
}

}  // namespace ximssd::mime

namespace ximssd::mime {

namespace {

// "=?charset?B?payload?=" with a padded payload, rewritten as "=?charset?Q?...?=" (same bytes).
std::string unpadded_words(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find("=?", pos);
    if (start == std::string_view::npos) break;
    size_t q1 = text.find('?', start + 2);
    size_t q2 = q1 == std::string_view::npos ? q1 : text.find('?', q1 + 1);
    size_t end = q2 == std::string_view::npos ? q2 : text.find("?=", q2 + 1);
    if (end == std::string_view::npos) break;
    std::string_view encoding = text.substr(q1 + 1, q2 - q1 - 1);
    std::string_view payload = text.substr(q2 + 1, end - q2 - 1);
    std::optional<std::string> bytes;
    if ((encoding == "B" || encoding == "b") && !payload.empty() && payload.back() == '=')
      bytes = base64_decode(payload);
    out.append(text.substr(pos, start - pos));
    if (!bytes) {
      out.append(text.substr(start, end + 2 - start));
    } else {
      out.append(text.substr(start, q1 + 1 - start)).append("Q?");
      static constexpr char kHex[] = "0123456789ABCDEF";
      for (unsigned char c : *bytes) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          out += static_cast<char>(c);
        } else {
          out += '=';
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
      }
      out.append("?=");
    }
    pos = end + 2;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

}  // namespace

std::string decode_header_text(std::string_view raw) {
  ensure_gmime();
  std::string text = unpadded_words(raw);
  std::string decoded = take_gstring(g_mime_utils_header_decode_text(nullptr, text.c_str()));
  // A field is one line: line breaks smuggled in through encoded words do not survive decoding.
  std::replace_if(decoded.begin(), decoded.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; }, ' ');
  return decoded;
}

}  // namespace ximssd::mime
