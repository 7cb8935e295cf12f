// COMPRESS=DEFLATE (RFC 4978): raw deflate (no zlib header) in each direction, through zlib.
// Output is flushed with Z_SYNC_FLUSH at each write, so the client can decode all it was sent.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

namespace ximssd::imap {

class Deflater {
 public:
  Deflater();
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  // Appends the compressed form of `data` to `out`, flushed.
  void compress(std::string_view data, std::string& out);

 private:
  z_stream z_{};
};

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  // Appends what `data` decompresses to; false when the stream is corrupt.
  bool decompress(std::string_view data, std::string& out);

 private:
  z_stream z_{};
};

}  // namespace ximssd::imap
