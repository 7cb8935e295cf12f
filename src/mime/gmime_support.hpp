// Small RAII helpers around GMime (a GObject library): initialisation once per process, owning
// pointers, and parsing from memory.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <string>
#include <string_view>

namespace ximssd::mime {

// Calls g_mime_init() once; every entry point of this library calls it first.
void ensure_gmime();

struct GObjectUnref {
  void operator()(void* object) const noexcept {
    if (object) g_object_unref(object);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

// Takes ownership of a g_malloc'ed string (null gives "").
std::string take_gstring(char* text);

// A header field's text with its RFC 2047 encoded words decoded (to UTF-8). GMime decodes
// adjacent base64 words of one charset as one run, which stops at the first word's "="
// padding and loses the rest; such words are turned into their "Q" form first. Line breaks
// that encoded words carry become spaces.
std::string decode_header_text(std::string_view raw);

// Parses `bytes` (a whole message, or only a header block) without copying them; the returned
// message must not outlive `bytes`. Null when GMime cannot make a message of it.
GPtr<GMimeMessage> parse_message(std::string_view bytes);

// As above, and says what is wrong with the message's structure when GMime had to guess (an
// unterminated or boundary-less multipart, a truncated message, parts nested too deeply, an
// invalid header name...): "" when nothing was.
GPtr<GMimeMessage> parse_message(std::string_view bytes, std::string& structure_problem);

}  // namespace ximssd::mime
