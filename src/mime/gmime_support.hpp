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

// Parses `bytes` (a whole message, or only a header block) without copying them; the returned
// message must not outlive `bytes`. Null when GMime cannot make a message of it.
GPtr<GMimeMessage> parse_message(std::string_view bytes);

}  // namespace ximssd::mime
