// Streaming XML writer for server output. Replies are written straight into the connection's
// output string: building a DOM per reply would cost an allocation-heavy tree for every `noop`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ximssd::xml {

void append_escaped_text(std::string& out, std::string_view text);
void append_escaped_attribute(std::string& out, std::string_view value);

class XmlWriter {
 public:
  explicit XmlWriter(std::string& out) : out_(out) {}
  XmlWriter(const XmlWriter&) = delete;
  XmlWriter& operator=(const XmlWriter&) = delete;
  ~XmlWriter() { close_all(); }

  XmlWriter& open(std::string_view name);
  XmlWriter& attr(std::string_view name, std::string_view value);
  XmlWriter& attr(std::string_view name, int64_t value);
  // Adds the attribute only when the value is not empty.
  XmlWriter& attr_if(std::string_view name, std::string_view value);
  XmlWriter& text(std::string_view text);
  // Appends already well-formed XML as content of the current element.
  XmlWriter& raw(std::string_view xml);
  XmlWriter& close();
  void close_all();
  // An element with only text content: <name>text</name>.
  XmlWriter& element(std::string_view name, std::string_view text);
  size_t depth() const { return stack_.size(); }

 private:
  void finish_start_tag();
  std::string& out_;
  std::vector<std::string_view> stack_;  // names are string literals or outlive the writer
  bool start_tag_open_ = false;
};

}  // namespace ximssd::xml
