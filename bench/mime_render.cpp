// mime_render: parse + render to XIMSS XML, next to GMime's bare parse, over an mbox.
//
//   mime_render FILE.mbox  ->  "messages <n> bytes <b> parse_mb_s <x> render_mb_s <y>"
//
// Both passes run over the same messages held in memory, one core, so the ratio is the cost of
// our rendering (header categories, part decoding, charset conversion, XML writing).
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "mail/mbox_reader.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: mime_render FILE.mbox\n";
    return 2;
  }
  std::vector<std::string> messages;
  size_t bytes = 0;
  ximssd::mail::read_mbox(argv[1], [&](ximssd::mail::IncomingMessage&& m) {
    bytes += m.bytes.size();
    messages.push_back(std::move(m.bytes));
  });
  ximssd::mime::ensure_gmime();

  auto start = Clock::now();
  size_t parts = 0;
  for (const auto& m : messages) {
    auto parsed = ximssd::mime::parse_message(m);
    if (parsed) parts += g_mime_message_get_mime_part(parsed.get()) != nullptr;
  }
  double parse_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  start = Clock::now();
  size_t xml_bytes = 0;
  ximssd::mime::RenderOptions options;
  options.time_zone = "UTC";
  for (const auto& m : messages) xml_bytes += ximssd::mime::render_email_xml(m, options).size();
  double render_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  double mb = static_cast<double>(bytes) / 1e6;
  std::cout << "messages " << messages.size() << " bytes " << bytes << " parse_mb_s " << mb / parse_seconds
            << " render_mb_s " << mb / render_seconds << " xml_bytes " << xml_bytes << " parsed " << parts << "\n";
  return 0;
}
