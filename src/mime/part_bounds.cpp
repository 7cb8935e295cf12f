#include "mime/part_bounds.hpp"

#include <algorithm>
#include <cstring>

#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

bool only_white_space(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

std::pair<int64_t, int64_t> header_offsets(GMimeObject* object) {
  int64_t first = -1, last = -1;
  GMimeHeaderList* headers = object ? g_mime_object_get_header_list(object) : nullptr;
  for (int i = 0; headers && i < g_mime_header_list_get_count(headers); ++i) {
    int64_t offset = g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, i));
    if (offset < 0) continue;
    if (first < 0 || offset < first) first = offset;
    last = std::max(last, offset);
  }
  return {first, last};
}

bool parsed_from(GMimeObject* object, std::string_view raw, int depth) {
  if (!object || depth >= kMaxNesting) return true;
  if (GMIME_IS_MULTIPART(object)) {
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(object)); ++i)
      if (!parsed_from(g_mime_multipart_get_part(GMIME_MULTIPART(object), i), raw, depth + 1)) return false;
    return true;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    return !message || parsed_from(g_mime_message_get_mime_part(message), raw, depth + 1);
  }
  if (!GMIME_IS_PART(object)) return true;
  GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(object));
  GMimeStream* stream = content ? g_mime_data_wrapper_get_stream(content) : nullptr;
  if (!stream) return true;
  if (!GMIME_IS_STREAM_MEM(stream)) return false;
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
  if (!bytes || bytes->len != raw.size() || stream->bound_start < 0) return false;
  size_t begin = static_cast<size_t>(stream->bound_start);
  size_t end = stream->bound_end < 0 ? raw.size() : static_cast<size_t>(stream->bound_end);
  return begin <= end && end <= raw.size() && std::memcmp(bytes->data + begin, raw.data() + begin, end - begin) == 0;
}

bool PartBounds::enter_multipart(GMimeObject* multipart) {
  const char* boundary = g_mime_object_get_content_type_parameter(multipart, "boundary");
  if (!boundary) return false;
  boundaries_.push_back("--" + std::string(boundary));
  return true;
}

std::string_view PartBounds::leaf_body(GMimePart* part) const {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  GMimeStream* stream = content ? g_mime_data_wrapper_get_stream(content) : nullptr;
  if (!stream || stream->bound_start < 0 || static_cast<uint64_t>(stream->bound_start) > raw_.size()) return {};
  return body_from(static_cast<size_t>(stream->bound_start));
}

std::optional<size_t> PartBounds::message_body_begin(GMimeObject* part, GMimeObject* owner,
                                                     GMimeMessage* embedded) const {
  int64_t last = std::max(header_offsets(part).second, header_offsets(owner).second);
  if (last >= 0 && static_cast<uint64_t>(last) < raw_.size()) return header_block_end(static_cast<size_t>(last));
  if (!embedded) return std::nullopt;
  int64_t first = header_offsets(GMIME_OBJECT(embedded)).first;
  int64_t part_first = header_offsets(g_mime_message_get_mime_part(embedded)).first;
  if (first < 0 || (part_first >= 0 && part_first < first)) first = part_first;
  if (first < 0 || static_cast<uint64_t>(first) > raw_.size()) return std::nullopt;
  return static_cast<size_t>(first);
}

size_t PartBounds::header_block_end(size_t last_field) const {
  size_t pos = next_line(last_field);
  while (pos < raw_.size() && (raw_[pos] == ' ' || raw_[pos] == '\t')) pos = next_line(pos);
  if (raw_.compare(pos, 1, "\n") == 0) return pos + 1;
  if (raw_.compare(pos, 2, "\r\n") == 0) return pos + 2;
  return pos;
}

size_t PartBounds::next_line(size_t pos) const {
  size_t lf = raw_.find('\n', pos);
  return lf == std::string_view::npos ? raw_.size() : lf + 1;
}

std::string_view PartBounds::body_from(std::optional<size_t> begin) const {
  if (!begin) return {};
  size_t end = raw_.size();
  for (size_t pos = *begin; pos < raw_.size() && !boundaries_.empty(); pos = next_line(pos)) {
    if (raw_.compare(pos, 2, "--") != 0) continue;
    size_t lf = raw_.find('\n', pos);
    if (!is_boundary_line(raw_.substr(pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos)))
      continue;
    end = pos;
    if (end > *begin && raw_[end - 1] == '\n') --end;
    if (end > *begin && raw_[end - 1] == '\r') --end;
    break;
  }
  return raw_.substr(*begin, end - *begin);
}

bool PartBounds::is_boundary_line(std::string_view line) const {
  for (const std::string& delimiter : boundaries_) {
    if (line.substr(0, delimiter.size()) != delimiter) continue;
    std::string_view rest = line.substr(delimiter.size());
    if (rest.substr(0, 2) == "--" && only_white_space(rest.substr(2))) return true;
    if (only_white_space(rest)) return true;
  }
  return false;
}

}  // namespace ximssd::mime
