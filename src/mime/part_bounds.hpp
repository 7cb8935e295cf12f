// Where a message's parts lie in its stored bytes, as GMime's parse of those bytes decided
// them: shared by BODYSTRUCTURE (the sizes it reports) and FETCH BODY[section] (the bytes it
// serves), which must agree to the byte. GMime records where each leaf part's content starts
// (its content stream is a window on the parsed bytes) and where each header field starts; the
// rest is found here the way GMime's parser finds it: a part's body ends before the first line
// that is a boundary of one of the multiparts around it.
#pragma once

#include <gmime/gmime.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ximssd::mime {

// Offsets of the first and last header field that the parse recorded for `object` (-1: none).
std::pair<int64_t, int64_t> header_offsets(GMimeObject* object);

// True when the content streams of `object`'s leaf parts are windows on `raw` (the message
// was parsed from these bytes, so the offsets GMime recorded are offsets into them).
bool parsed_from(GMimeObject* object, std::string_view raw, int depth = 0);

// Walks a parse depth first: enter_multipart/leave_multipart around each multipart's children,
// so that a body ends at the boundaries around it.
class PartBounds {
 public:
  explicit PartBounds(std::string_view raw) : raw_(raw) {}

  std::string_view raw() const { return raw_; }
  // Returns whether the multipart has a boundary (and so whether leave_multipart is due).
  bool enter_multipart(GMimeObject* multipart);
  void leave_multipart() { boundaries_.pop_back(); }

  // A leaf part's body.
  std::string_view leaf_body(GMimePart* part) const;
  // Where the body of a message/rfc822 part (the enclosed message) starts: after the blank line
  // that ends the part's header, else (a part without header fields, as in multipart/digest) at
  // the enclosed message's first header field. `owner` holds the rest of the part's header.
  std::optional<size_t> message_body_begin(GMimeObject* part, GMimeObject* owner, GMimeMessage* embedded) const;
  // The end of the header block whose last field starts at `last_field`: past that field's
  // continuation lines and the blank line after them (GMime also ends a header block at the
  // first line that is not a field, which then starts the body).
  size_t header_block_end(size_t last_field) const;
  // The body that starts at `begin`: up to the line break before the next boundary line (that
  // line break belongs to the boundary, RFC 2046 section 5.1.1), or to the end.
  std::string_view body_from(std::optional<size_t> begin) const;

 private:
  size_t next_line(size_t pos) const;
  // As GMime's parser decides: "--boundary" or "--boundary--", then only white space.
  bool is_boundary_line(std::string_view line) const;

  std::string_view raw_;
  std::vector<std::string> boundaries_;  // "--boundary" of the multiparts around the current part
};

}  // namespace ximssd::mime
