// The HTTP binding's request path on arbitrary bytes: Beast's request parser with our limits,
// then everything the router reads from a request: the target's query and path segments, a
// /Session/ URL's MIME part locators, Range and OffsetFrom/OffsetTill against a body, the
// Content-Type and body of an UPLOAD as multipart/form-data, and the body as a <XIMSS> batch.
// Nothing may crash; decoded path segments are never "." or "..", and a range never points
// outside the resource.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "formats/xml/request_parser.hpp"
#include "http/request_target.hpp"
#include "http/session_url.hpp"
#include "mime/form_data.hpp"

using namespace ximssd;
namespace beast_http = boost::beast::http;

namespace {

void check_range(const http::RangeDecision& d, uint64_t size) {
  if (d.kind == http::RangeDecision::Kind::partial && (d.range.first > d.range.last || d.range.last > size)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  beast_http::request_parser<beast_http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(input.data(), input.size()), ec);
  if (ec || !parser.is_done()) {
    // Still exercise the target readers on the raw text.
    if (auto t = http::parse_target(input)) http::decode_segments(t->path);
    return 0;
  }
  const auto& request = parser.get();
  auto target = http::parse_target(request.target());
  if (target) {
    if (auto segments = http::decode_segments(target->path)) {
      for (const auto& s : *segments)
        if (s == "." || s == "..") abort();
      if (segments->size() > 3) {
        std::vector<std::string> rest(segments->begin() + 3, segments->end());
        for (const auto& m : http::parse_mime_locators(rest))
          if (m.uid <= 0 || m.folder.empty()) abort();
      }
    }
    uint64_t resource = request.body().size();
    if (auto from = target->param("OffsetFrom")) check_range(http::decide_offsets(*from, target->param("OffsetTill"), resource), resource);
  }
  if (auto range = request.find(beast_http::field::range); range != request.end())
    check_range(http::decide_range_header(range->value(), request.body().size()), request.body().size());
  if (auto type = request.find(beast_http::field::content_type); type != request.end())
    mime::form_field(type->value(), request.body(), "fileData");
  xml::ParsedDocument doc;
  xml::parse_message(request.body(), xml::RequestLimits{64}, doc);
  return 0;
}
