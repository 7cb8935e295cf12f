// Fuzzes what an untrusted XIMSS peer controls first: the zero-byte framing, the XML request
// parser with its limits, and the generic dictionary/array reader used for request bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "formats/xml/request_parser.hpp"
#include "formats/xml/xml_value.hpp"
#include "formats/xml/xml_writer.hpp"
#include "ximss/frame_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte picks how the stream is chopped into reads, so split frames are exercised.
  size_t chunk = size ? (static_cast<unsigned char>(input[0]) % 64) + 1 : 1;
  ximssd::ximss::FrameReader reader(4096);
  const ximssd::xml::RequestLimits limits{32};
  for (size_t pos = 0; pos < size; pos += chunk) {
    reader.feed(input.substr(pos, chunk));
    while (auto event = reader.next()) {
      if (event->kind == ximssd::ximss::FrameReader::Kind::oversized) {
        (void)ximssd::xml::sniff_request_id(event->text);
        continue;
      }
      ximssd::xml::ParsedDocument doc;
      if (auto error = ximssd::xml::parse_message(event->text, limits, doc)) continue;
      try {
        auto value = ximssd::xml::read_xml_value(doc.root);
        std::string out;
        ximssd::xml::XmlWriter writer(out);
        writer.open("sessionData");
        ximssd::xml::write_xml_value(writer, value);
      } catch (const ximssd::Failure&) {
      }
    }
    reader.release_if_idle();
  }
  return 0;
}
