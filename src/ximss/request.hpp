// One request being executed: its element and id, where its output goes, and helpers to read
// attributes and to write data messages. Handlers throw Failure to answer with an error.
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "formats/xml/xml_writer.hpp"
#include "base/error.hpp"
#include "ximss/context.hpp"

namespace ximssd::ximss {

// Where complete messages go. Over TCP each message is followed by a zero byte; inside an HTTP
// <XIMSS> envelope messages are simply concatenated.
class MessageOutput {
 public:
  MessageOutput(std::string& buffer, bool zero_terminated) : buffer_(buffer), zero_(zero_terminated) {}
  std::string& buffer() { return buffer_; }
  void end_message() {
    if (zero_) buffer_.push_back('\0');
  }

 private:
  std::string& buffer_;
  bool zero_;
};

// A data message under construction; finished (closed and terminated) when it goes out of scope.
class DataMessage {
 public:
  DataMessage(MessageOutput& out, std::string_view name, std::string_view id);
  ~DataMessage();
  DataMessage(const DataMessage&) = delete;
  DataMessage& operator=(const DataMessage&) = delete;
  xml::XmlWriter* operator->() { return &writer_; }
  xml::XmlWriter& writer() { return writer_; }

 private:
  MessageOutput& out_;
  xml::XmlWriter writer_;
};

struct Request {
  XimssContext& ctx;
  ConnectionState& conn;
  pugi::xml_node element;
  std::string id;
  MessageOutput& out;
  bool send_response = true;  // false while a SASL exchange waits for `auth`

  std::string_view name() const { return element.name(); }
  // The attribute's value, or "" when absent.
  std::string_view attr(const char* name) const { return element.attribute(name).value(); }
  bool has_attr(const char* name) const { return static_cast<bool>(element.attribute(name)); }
  // The attribute's value; throws Failure(badRequest) when it is absent or empty.
  std::string_view required(const char* name) const;

  // A synchronous data message carrying this request's id.
  DataMessage data(std::string_view name) { return DataMessage(out, name, id); }
  // A message without an id (e.g. `challenge`).
  DataMessage message(std::string_view name) { return DataMessage(out, name, {}); }

  Session& session() const { return *conn.session; }
};

// Writes <response id=".." [errorText errorNum] [exeTime]/> followed by the terminator.
void write_response(MessageOutput& out, std::string_view id, const Failure* error, long exe_time_ms);

}  // namespace ximssd::ximss
