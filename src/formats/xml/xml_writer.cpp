#include "formats/xml/xml_writer.hpp"

namespace ximssd::xml {

namespace {

// XML 1.0 forbids most C0 controls even as character references; they become U+FFFD.
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

template <bool Attribute>
void append_escaped(std::string& out, std::string_view s) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::string_view rep;
    switch (c) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': if (Attribute) rep = "&quot;"; break;
      case '\t': if (Attribute) rep = "&#9;"; break;
      case '\n': if (Attribute) rep = "&#10;"; break;
      case '\r': rep = "&#13;"; break;
      default:
        if (c < 0x20) rep = kReplacement;
    }
    if (rep.empty()) continue;
    out.append(s.data() + run, i - run);
    out.append(rep);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

}  // namespace

void append_escaped_text(std::string& out, std::string_view text) { append_escaped<false>(out, text); }
void append_escaped_attribute(std::string& out, std::string_view value) {
  append_escaped<true>(out, value);
}

void XmlWriter::finish_start_tag() {
  if (start_tag_open_) {
    out_.push_back('>');
    start_tag_open_ = false;
  }
}

XmlWriter& XmlWriter::open(std::string_view name) {
  finish_start_tag();
  out_.push_back('<');
  out_.append(name);
  stack_.push_back(name);
  start_tag_open_ = true;
  return *this;
}

XmlWriter& XmlWriter::attr(std::string_view name, std::string_view value) {
  out_.push_back(' ');
  out_.append(name);
  out_.append("=\"");
  append_escaped_attribute(out_, value);
  out_.push_back('"');
  return *this;
}

XmlWriter& XmlWriter::attr(std::string_view name, int64_t value) {
  return attr(name, std::string_view(std::to_string(value)));
}

XmlWriter& XmlWriter::attr_if(std::string_view name, std::string_view value) {
  if (!value.empty()) attr(name, value);
  return *this;
}

XmlWriter& XmlWriter::text(std::string_view text) {
  finish_start_tag();
  append_escaped_text(out_, text);
  return *this;
}

XmlWriter& XmlWriter::raw(std::string_view xml) {
  finish_start_tag();
  out_.append(xml);
  return *this;
}

XmlWriter& XmlWriter::close() {
  if (stack_.empty()) return *this;
  if (start_tag_open_) {
    out_.append("/>");
    start_tag_open_ = false;
  } else {
    out_.append("</");
    out_.append(stack_.back());
    out_.push_back('>');
  }
  stack_.pop_back();
  return *this;
}

void XmlWriter::close_all() {
  while (!stack_.empty()) close();
}

XmlWriter& XmlWriter::element(std::string_view name, std::string_view text) {
  open(name);
  if (!text.empty()) this->text(text);
  return close();
}

}  // namespace ximssd::xml
