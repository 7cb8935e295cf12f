#include "formats/xml/request_parser.hpp"

#include "base/text.hpp"

namespace ximssd::xml {

namespace {

// Depth of the element tree, walked iteratively so a hostile document cannot exhaust the stack.
size_t tree_depth(pugi::xml_node root, size_t stop_after) {
  size_t depth = 1, max_depth = 1;
  pugi::xml_node node = root.first_child();
  if (!node) return 1;
  ++depth;
  while (node) {
    if (depth > max_depth) max_depth = depth;
    if (max_depth > stop_after) return max_depth;
    if (node.first_child()) {
      node = node.first_child();
      ++depth;
      continue;
    }
    while (node && !node.next_sibling()) {
      node = node.parent();
      --depth;
      if (node == root) return max_depth;
    }
    if (node) node = node.next_sibling();
  }
  return max_depth;
}

}  // namespace

std::optional<ParseError> parse_message(std::string_view text, const RequestLimits& limits,
                                        ParsedDocument& out) {
  if (!is_valid_utf8(text))
    return ParseError{ErrorCode::malformedMessage, "message is not valid UTF-8",
                      sniff_request_id(text)};
  // parse_default minus DOCTYPE handling: a DTD is neither needed nor wanted. Text that is only
  // white space is kept when it is an element's whole content: a message part may be just
  // blank lines, and they are its data.
  const unsigned options = (pugi::parse_default & ~pugi::parse_doctype) | pugi::parse_ws_pcdata_single;
  pugi::xml_parse_result result =
      out.doc.load_buffer(text.data(), text.size(), options, pugi::encoding_utf8);
  if (!result)
    return ParseError{ErrorCode::malformedMessage,
                      std::string("malformed XML: ") + result.description(),
                      sniff_request_id(text)};
  pugi::xml_node root;
  size_t elements = 0;
  for (pugi::xml_node child : out.doc.children()) {
    if (child.type() == pugi::node_element) {
      root = child;
      ++elements;
    } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      // Whitespace around the element is tolerated (pugixml drops it); real text is not.
      return ParseError{ErrorCode::malformedMessage, "text outside the root element",
                        sniff_request_id(text)};
    }
  }
  if (elements != 1)
    return ParseError{ErrorCode::malformedMessage,
                      elements == 0 ? "message has no element" : "message has several root elements",
                      sniff_request_id(text)};
  if (tree_depth(root, limits.max_depth) > limits.max_depth)
    return ParseError{ErrorCode::malformedMessage, "message is nested too deeply",
                      root.attribute("id").value()};
  out.root = root;
  return std::nullopt;
}

std::string sniff_request_id(std::string_view text) {
  // Only the first start tag is examined: <name ... id="value" ...>
  size_t lt = text.find('<');
  while (lt != std::string_view::npos && lt + 1 < text.size() &&
         (text[lt + 1] == '?' || text[lt + 1] == '!'))
    lt = text.find('<', lt + 1);
  if (lt == std::string_view::npos) return {};
  size_t gt = text.find('>', lt);
  std::string_view tag = text.substr(lt, gt == std::string_view::npos ? text.npos : gt - lt);
  for (size_t pos = tag.find("id"); pos != std::string_view::npos; pos = tag.find("id", pos + 2)) {
    if (pos == 0) continue;
    char before = tag[pos - 1];
    if (before != ' ' && before != '\t' && before != '\n' && before != '\r') continue;
    size_t p = pos + 2;
    while (p < tag.size() && (tag[p] == ' ' || tag[p] == '\t')) ++p;
    if (p >= tag.size() || tag[p] != '=') continue;
    ++p;
    while (p < tag.size() && (tag[p] == ' ' || tag[p] == '\t')) ++p;
    if (p >= tag.size() || (tag[p] != '"' && tag[p] != '\'')) continue;
    char quote = tag[p];
    size_t end = tag.find(quote, p + 1);
    if (end == std::string_view::npos) return {};
    std::string id(tag.substr(p + 1, end - p - 1));
    if (id.size() > 256 || !is_valid_utf8(id) || id.find_first_of("<&") != std::string::npos)
      return {};
    return id;
  }
  return {};
}

}  // namespace ximssd::xml
