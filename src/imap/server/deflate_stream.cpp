#include "imap/server/deflate_stream.hpp"

#include <stdexcept>

namespace ximssd::imap {

Deflater::Deflater() {
  if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
}

Deflater::~Deflater() { deflateEnd(&z_); }

void Deflater::compress(std::string_view data, std::string& out) {
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z_.avail_in = static_cast<uInt>(data.size());
  char chunk[16384];
  do {
    z_.next_out = reinterpret_cast<Bytef*>(chunk);
    z_.avail_out = sizeof chunk;
    deflate(&z_, Z_SYNC_FLUSH);
    out.append(chunk, sizeof chunk - z_.avail_out);
  } while (z_.avail_out == 0);
}

Inflater::Inflater() {
  if (inflateInit2(&z_, -15) != Z_OK) throw std::runtime_error("inflateInit2 failed");
}

Inflater::~Inflater() { inflateEnd(&z_); }

bool Inflater::decompress(std::string_view data, std::string& out) {
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z_.avail_in = static_cast<uInt>(data.size());
  char chunk[16384];
  for (;;) {
    z_.next_out = reinterpret_cast<Bytef*>(chunk);
    z_.avail_out = sizeof chunk;
    int rc = inflate(&z_, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return false;
    out.append(chunk, sizeof chunk - z_.avail_out);
    // Done when the input is used up and the output did not fill the chunk (nothing pending).
    if (rc == Z_STREAM_END || (z_.avail_in == 0 && z_.avail_out != 0)) break;
    if (rc == Z_BUF_ERROR) break;  // no progress possible
  }
  return true;
}

}  // namespace ximssd::imap
