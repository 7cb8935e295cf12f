#include "mime/html_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "base/text.hpp"

namespace ximssd::mime {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

template <size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// ---- Character references -------------------------------------------------------------------

void append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// HTML's names for U+00A0 to U+00FF, in order.
constexpr std::array<std::string_view, 96> kLatin1Names = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",    "copy",   "ordf",
    "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn", "sup2",   "sup3",   "acute",  "micro",
    "para",   "middot", "cedil",  "sup1",   "ordm",   "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave",
    "Aacute", "Acirc",  "Atilde", "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",
    "Igrave", "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde", "Ouml",
    "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",  "szlig",  "agrave", "aacute",
    "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil", "egrave", "eacute", "ecirc",  "euml",   "igrave",
    "iacute", "icirc",  "iuml",   "eth",    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide",
    "oslash", "ugrave", "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

struct NamedCharacter {
  std::string_view name;
  uint32_t code;
};
// The other names mail commonly uses (typography, currency, arrows).
constexpr std::array<NamedCharacter, 48> kOtherNames = {{
    {"quot", 34},      {"QUOT", 34},     {"amp", 38},      {"AMP", 38},      {"apos", 39},     {"lt", 60},
    {"LT", 60},        {"gt", 62},       {"GT", 62},       {"OElig", 338},   {"oelig", 339},   {"Scaron", 352},
    {"scaron", 353},   {"Yuml", 376},    {"fnof", 402},    {"circ", 710},    {"tilde", 732},   {"ensp", 8194},
    {"emsp", 8195},    {"thinsp", 8201}, {"zwnj", 8204},   {"zwj", 8205},    {"lrm", 8206},    {"rlm", 8207},
    {"ndash", 8211},   {"mdash", 8212},  {"lsquo", 8216},  {"rsquo", 8217},  {"sbquo", 8218},  {"ldquo", 8220},
    {"rdquo", 8221},   {"bdquo", 8222},  {"dagger", 8224}, {"Dagger", 8225}, {"bull", 8226},   {"hellip", 8230},
    {"permil", 8240},  {"prime", 8242},  {"Prime", 8243},  {"lsaquo", 8249}, {"rsaquo", 8250}, {"euro", 8364},
    {"trade", 8482},   {"larr", 8592},   {"uarr", 8593},   {"rarr", 8594},   {"darr", 8595},   {"harr", 8596},
}};

// Numeric references to 0x80-0x9F mean Windows-1252 characters to every browser.
constexpr std::array<uint16_t, 32> kWindows1252 = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

std::optional<uint32_t> named_character(std::string_view name) {
  for (size_t i = 0; i < kLatin1Names.size(); ++i)
    if (kLatin1Names[i] == name) return static_cast<uint32_t>(0xA0 + i);
  for (const auto& named : kOtherNames)
    if (named.name == name) return named.code;
  return std::nullopt;
}

// Names browsers also accept without the closing ';' (old pages rely on it).
bool is_legacy_name(std::string_view name) {
  return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "nbsp" || name == "copy" ||
         name == "reg";
}

// ---- Tokens ---------------------------------------------------------------------------------

struct Attribute {
  std::string name;   // lower case
  std::string value;  // character references decoded
};

struct Token {
  enum class Kind { text, raw_text, start_tag, end_tag, other };
  Kind kind = Kind::other;
  std::string_view text;  // text and raw_text, as written
  std::string name;       // tags, lower case
  std::vector<Attribute> attributes;
};

// Elements whose content is text up to their end tag, not markup.
constexpr std::array<std::string_view, 10> kRawTextElements = {
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"};

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view html) : html_(html) {}

  bool next(Token& token) {
    token = Token{};
    if (pos_ >= html_.size()) return false;
    if (!raw_until_.empty()) {
      size_t end = raw_until_ == "plaintext" ? html_.size() : find_end_tag(raw_until_);
      token.kind = Token::Kind::raw_text;
      token.text = html_.substr(pos_, end - pos_);
      pos_ = end;
      raw_until_.clear();
      return true;
    }
    if (html_[pos_] != '<') {
      size_t end = html_.find('<', pos_);
      if (end == std::string_view::npos) end = html_.size();
      token.kind = Token::Kind::text;
      token.text = html_.substr(pos_, end - pos_);
      pos_ = end;
      return true;
    }
    std::string_view rest = html_.substr(pos_);
    if (rest.starts_with("<!--")) {
      size_t end = html_.find("-->", pos_ + 4);
      pos_ = end == std::string_view::npos ? html_.size() : end + 3;
      return true;
    }
    bool end_tag = rest.size() > 1 && rest[1] == '/';
    size_t name_start = pos_ + (end_tag ? 2 : 1);
    if (rest.size() > 1 && (rest[1] == '!' || rest[1] == '?' || (end_tag && (name_start >= html_.size() || !is_alpha(html_[name_start]))))) {
      // A declaration, a processing instruction or a bogus comment: up to the next '>'.
      size_t end = html_.find('>', pos_ + 1);
      pos_ = end == std::string_view::npos ? html_.size() : end + 1;
      return true;
    }
    if (name_start >= html_.size() || !is_alpha(html_[name_start])) {
      token.kind = Token::Kind::text;  // a '<' that starts no tag
      token.text = html_.substr(pos_, 1);
      ++pos_;
      return true;
    }
    size_t i = name_start;
    while (i < html_.size() && !is_space(html_[i]) && html_[i] != '/' && html_[i] != '>') ++i;
    token.name = ascii_lower(html_.substr(name_start, i - name_start));
    token.kind = end_tag ? Token::Kind::end_tag : Token::Kind::start_tag;
    i = read_attributes(i, end_tag ? nullptr : &token.attributes);
    pos_ = i;
    if (!end_tag && one_of(kRawTextElements, token.name)) raw_until_ = token.name;
    return true;
  }

 private:
  // Reads attributes up to and including the tag's '>'; returns the position after it.
  size_t read_attributes(size_t i, std::vector<Attribute>* attributes) {
    const size_t size = html_.size();
    while (i < size) {
      while (i < size && (is_space(html_[i]) || html_[i] == '/')) ++i;
      if (i >= size) break;
      if (html_[i] == '>') return i + 1;
      size_t name_start = i++;
      while (i < size && !is_space(html_[i]) && html_[i] != '/' && html_[i] != '>' && html_[i] != '=') ++i;
      std::string name = ascii_lower(html_.substr(name_start, i - name_start));
      while (i < size && is_space(html_[i])) ++i;
      std::string_view value;
      if (i < size && html_[i] == '=') {
        ++i;
        while (i < size && is_space(html_[i])) ++i;
        if (i < size && (html_[i] == '"' || html_[i] == '\'')) {
          char quote = html_[i++];
          size_t end = html_.find(quote, i);
          if (end == std::string_view::npos) end = size;
          value = html_.substr(i, end - i);
          i = end < size ? end + 1 : size;
        } else {
          size_t start = i;
          while (i < size && !is_space(html_[i]) && html_[i] != '>') ++i;
          value = html_.substr(start, i - start);
        }
      }
      if (attributes) attributes->push_back(Attribute{std::move(name), decode_html_entities(value)});
    }
    return size;
  }

  // Where "</name" (any case) next starts, followed by a character that ends a tag name.
  size_t find_end_tag(std::string_view name) const {
    size_t at = pos_;
    while ((at = html_.find("</", at)) != std::string_view::npos) {
      size_t after = at + 2 + name.size();
      if (after <= html_.size() && iequals(html_.substr(at + 2, name.size()), name) &&
          (after == html_.size() || is_space(html_[after]) || html_[after] == '/' || html_[after] == '>'))
        return at;
      at += 2;
    }
    return html_.size();
  }

  std::string_view html_;
  size_t pos_ = 0;
  std::string raw_until_;  // the element whose raw text comes next
};

// Elements left out with everything inside them: not content a reader sees, or able to run
// code or load other documents.
constexpr std::array<std::string_view, 15> kDroppedElements = {
    "head",   "script",   "style",    "title",    "template", "noscript", "iframe", "object",
    "applet", "noembed",  "noframes", "frameset", "svg",      "math",     "select"};

// Calls `visit` for each token of the visible content: <html> and <body> tags, and the
// dropped elements with their content, are left out. An unclosed <head> ends at <body>.
template <class Visit>
void for_each_content_token(std::string_view html, Visit&& visit) {
  Tokenizer tokenizer(html);
  Token token;
  std::string skipping;  // the dropped element being skipped
  int nesting = 0;
  while (tokenizer.next(token)) {
    bool start = token.kind == Token::Kind::start_tag, end = token.kind == Token::Kind::end_tag;
    if (!skipping.empty()) {
      if (start && token.name == skipping) {
        ++nesting;
      } else if (end && token.name == skipping) {
        if (--nesting == 0) skipping.clear();
      } else if (start && skipping == "head" && token.name == "body") {
        skipping.clear();
      }
      continue;
    }
    if ((start || end) && one_of(kDroppedElements, token.name)) {
      if (start) {
        skipping = token.name;
        nesting = 1;
      }
      continue;
    }
    if ((start || end) && (token.name == "html" || token.name == "body")) continue;
    visit(token);
  }
}

// ---- Text -----------------------------------------------------------------------------------

// Builds lines from text and the line breaks blocks ask for, as a browser lays them out.
class LineBuilder {
 public:
  // Text outside <pre>: whitespace runs are one space, and none at a line's start.
  void flow_text(std::string_view text) {
    std::string decoded = decode_html_entities(text);
    for (size_t i = 0; i < decoded.size(); ++i) {
      char c = decoded[i];
      if (is_space(c)) {
        space_ = true;
        continue;
      }
      start_text();
      if (space_ && !lines_.back().text.empty()) lines_.back().text += ' ';
      space_ = false;
      append(decoded, i);
    }
  }

  void pre_text(std::string_view text) {
    std::string decoded = decode_html_entities(text);
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (decoded[i] == '\r') continue;
      if (decoded[i] == '\n') {
        line_break();
        continue;
      }
      start_text();
      append(decoded, i);
    }
  }

  void line_break() {
    if (started_) ++breaks_;
  }
  // At least `lines` line ends before the next text (2: a blank line between).
  void block(int lines) {
    if (started_) breaks_ = std::max(breaks_, lines);
  }
  // Table cells on one line are separated by a space.
  void cell() { space_ = true; }
  void quote(int change) {
    block(1);
    depth_ = std::max(0, depth_ + change);
  }

  std::vector<TextLine> finish() {
    for (TextLine& line : lines_)
      while (!line.text.empty() && line.text.back() == ' ') line.text.pop_back();
    return std::move(lines_);
  }

 private:
  void start_text() {
    if (!started_ || breaks_ > 0) {
      // Blank lines between a quote and what follows it belong to the outer level.
      int separator_depth = started_ ? std::min(lines_.back().depth, depth_) : depth_;
      for (int k = 1; started_ && k < breaks_; ++k) lines_.push_back(TextLine{separator_depth, {}});
      lines_.push_back(TextLine{depth_, {}});
      started_ = true;
      breaks_ = 0;
      space_ = false;
    }
  }
  // One character of `text` at `i`; a no-break space becomes a plain one.
  void append(const std::string& text, size_t& i) {
    if (text.compare(i, 2, "\xC2\xA0") == 0) {
      lines_.back().text += ' ';
      ++i;
    } else {
      lines_.back().text += text[i];
    }
  }

  std::vector<TextLine> lines_;
  int depth_ = 0;
  int breaks_ = 0;
  bool started_ = false;
  bool space_ = false;
};

constexpr std::array<std::string_view, 12> kParagraphElements = {"p",  "h1", "h2", "h3", "h4",    "h5",
                                                                 "h6", "ul", "ol", "dl", "table", "hr"};
constexpr std::array<std::string_view, 23> kLineElements = {
    "div",     "li",     "tr",     "dt",   "dd",      "address", "article", "aside",
    "footer",  "header", "nav",    "section", "main", "center",  "details", "summary",
    "fieldset", "legend", "form",  "caption", "option", "figcaption", "figure"};

// ---- Sanitizing -----------------------------------------------------------------------------

constexpr std::array<std::string_view, 16> kVoidElements = {"area",  "base",  "br",   "col",   "embed", "hr",
                                                            "img",   "input", "keygen", "link", "meta",  "param",
                                                            "source", "track", "wbr",  "frame"};
// Tags left out while their content stays: they would change the document around the quote
// (base, meta, link, form) or load other content (embed, frame); textarea, xmp and plaintext
// content is kept as text.
constexpr std::array<std::string_view, 9> kRemovedTags = {"base",  "meta",     "link", "form",     "embed",
                                                          "frame", "textarea", "xmp",  "plaintext"};
// Elements whose end tag may be left out: a second one closes the first.
constexpr std::array<std::string_view, 8> kSelfClosingSiblings = {"p", "li", "dt", "dd", "tr", "td", "th", "option"};

// Deeper nesting is not kept: it bounds the work of matching each end tag.
constexpr size_t kMaxOpenElements = 200;

bool is_name(std::string_view name, bool attribute) {
  if (name.empty() || name.size() > 64 || !is_alpha(name.front())) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '-' && !(attribute && (c == '_' || c == ':' || c == '.'))) return false;
  return true;
}

bool is_safe_attribute(const Attribute& attribute) {
  if (!is_name(attribute.name, true) || attribute.name.starts_with("on") || attribute.name == "srcdoc")
    return false;
  // Browsers ignore whitespace and control characters inside a URL scheme.
  std::string squeezed;
  for (char c : attribute.value)
    if (static_cast<unsigned char>(c) > 0x20) squeezed += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  for (std::string_view scheme : {"javascript:", "vbscript:", "livescript:", "data:text/html", "data:application/xhtml",
                                  "data:image/svg"})
    if (squeezed.starts_with(scheme)) return false;
  if (attribute.name == "style")
    for (std::string_view bad : {"expression(", "javascript:", "vbscript:", "behavior:", "-moz-binding"})
      if (squeezed.find(bad) != std::string::npos) return false;
  return true;
}

}  // namespace

std::string decode_html_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out += text[i++];
      continue;
    }
    size_t j = i + 1;
    if (j < text.size() && text[j] == '#') {
      ++j;
      bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
      if (hex) ++j;
      size_t digits = j;
      uint32_t cp = 0;
      for (; j < text.size(); ++j) {
        char c = text[j];
        int value = is_digit(c) ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (value < 0) break;
        if (cp <= 0x10FFFF) cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(value);
      }
      if (j == digits) {
        out += text[i++];
        continue;
      }
      if (j < text.size() && text[j] == ';') ++j;
      if (cp >= 0x80 && cp <= 0x9F) cp = kWindows1252[cp - 0x80];
      append_utf8(out, cp);
      i = j;
      continue;
    }
    while (j < text.size() && is_alnum(text[j]) && j - i <= 32) ++j;
    std::string_view name = text.substr(i + 1, j - i - 1);
    bool semicolon = j < text.size() && text[j] == ';';
    std::optional<uint32_t> cp = named_character(name);
    if (cp && (semicolon || is_legacy_name(name))) {
      append_utf8(out, *cp);
      i = j + (semicolon ? 1 : 0);
      continue;
    }
    out += text[i++];
  }
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<TextLine> html_to_lines(std::string_view html) {
  LineBuilder builder;
  int pre = 0;
  for_each_content_token(html, [&](const Token& token) {
    switch (token.kind) {
      case Token::Kind::text:
      case Token::Kind::raw_text:
        if (pre > 0) builder.pre_text(token.text);
        else builder.flow_text(token.text);
        break;
      case Token::Kind::start_tag:
      case Token::Kind::end_tag: {
        bool start = token.kind == Token::Kind::start_tag;
        const std::string& name = token.name;
        if (name == "br") {
          if (start) builder.line_break();
        } else if (name == "blockquote") {
          builder.quote(start ? 1 : -1);
        } else if (name == "pre") {
          builder.block(2);
          pre = std::max(0, pre + (start ? 1 : -1));
        } else if (name == "td" || name == "th") {
          if (start) builder.cell();
        } else if (one_of(kParagraphElements, name)) {
          builder.block(2);
        } else if (one_of(kLineElements, name)) {
          builder.block(1);
        }
        break;
      }
      case Token::Kind::other:
        break;
    }
  });
  return builder.finish();
}

std::string sanitized_html_body(std::string_view html) {
  std::string out;
  std::vector<std::string> open;  // the elements opened and not yet closed
  auto close_to = [&](size_t size) {
    while (open.size() > size) {
      out += "</" + open.back() + ">";
      open.pop_back();
    }
  };
  for_each_content_token(html, [&](const Token& token) {
    switch (token.kind) {
      case Token::Kind::text:
        for (char c : token.text) {
          if (c == '<') out += "&lt;";
          else out += c;
        }
        break;
      case Token::Kind::raw_text:
        out += escape_html(token.text);
        break;
      case Token::Kind::start_tag: {
        if (one_of(kRemovedTags, token.name) || !is_name(token.name, false)) break;
        bool is_void = one_of(kVoidElements, token.name);
        if (!is_void && open.size() >= kMaxOpenElements) break;  // the content stays, the tag goes
        if (!open.empty() && open.back() == token.name && one_of(kSelfClosingSiblings, token.name))
          close_to(open.size() - 1);
        out += "<" + token.name;
        for (const Attribute& attribute : token.attributes)
          if (is_safe_attribute(attribute)) out += " " + attribute.name + "=\"" + escape_html(attribute.value) + "\"";
        out += ">";
        if (!is_void) open.push_back(token.name);
        break;
      }
      case Token::Kind::end_tag: {
        auto it = std::find(open.rbegin(), open.rend(), token.name);
        if (it != open.rend()) close_to(static_cast<size_t>(open.rend() - it) - 1);
        break;
      }
      case Token::Kind::other:
        break;
    }
  });
  close_to(0);
  return trim_whitespace(out);  // whitespace at the edges of a body shows nothing
}

}  // namespace ximssd::mime
