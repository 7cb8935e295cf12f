#include "mime/imap_bodystructure.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/part_bounds.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

namespace {

constexpr const char* kEmptyEnvelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";

// The field's value as sent, unfolded and trimmed; nullopt when the field is absent.
std::optional<std::string> raw_header(GMimeObject* object, const char* name) {
  GMimeHeaderList* headers = object ? g_mime_object_get_header_list(object) : nullptr;
  GMimeHeader* header = headers ? g_mime_header_list_get_header(headers, name) : nullptr;
  if (!header) return std::nullopt;
  const char* raw = g_mime_header_get_raw_value(header);
  std::string value;
  for (const char* p = raw ? raw : ""; *p; ++p)
    if (*p != '\r' && *p != '\n') value += *p;
  return trim_whitespace(value);
}

std::string nstring(const std::optional<std::string>& value) { return value ? imap_string(value->c_str()) : "NIL"; }

bool is_media(GMimeContentType* type, const char* media, const char* subtype) {
  if (!type) return false;
  const char* t = g_mime_content_type_get_media_type(type);
  const char* s = g_mime_content_type_get_media_subtype(type);
  return t && s && iequals(t, media) && iequals(s, subtype);
}

// Content-Transfer-Encoding's token with comments and white space around it left out.
std::string transfer_encoding(GMimeObject* object) {
  std::optional<std::string> value = raw_header(object, "Content-Transfer-Encoding");
  std::string token;
  int comment = 0;
  for (char c : value.value_or("")) {
    if (c == '(') {
      ++comment;
    } else if (c == ')' && comment > 0) {
      --comment;
    } else if (comment == 0 && (c == ' ' || c == '\t' || c == ';')) {
      if (!token.empty()) break;
    } else if (comment == 0) {
      token += c;
    }
  }
  return token.empty() ? "7bit" : token;
}

// RFC 2231 section 4: "%XX" for every octet that is not an attribute-char.
std::string percent_encode(std::string_view text) {
  static constexpr std::string_view kSpecials = "*'%()<>@,;:\\\"/[]?=";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c > 0x20 && c < 0x7f && kSpecials.find(static_cast<char>(c)) == std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool needs_encoding(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c >= 0x80 || c == '\r' || c == '\n' || c == 0; });
}

void append_parameter(std::string& out, GMimeParam* param) {
  const char* name = g_mime_param_get_name(param);
  const char* value = g_mime_param_get_value(param);
  if (!name || !value) return;
  if (out.back() != '(') out += ' ';
  std::string text = to_valid_utf8(value);  // GMime's decoded value is UTF-8 unless a charset was lying
  if (!needs_encoding(text)) {
    out += imap_string(name) + " " + imap_string(text.c_str());
  } else if (g_mime_param_get_encoding_method(param) == GMIME_PARAM_ENCODING_METHOD_RFC2231) {
    const char* lang = g_mime_param_get_lang(param);
    std::string encoded = "utf-8'" + std::string(lang ? lang : "") + "'" + percent_encode(text);
    out += imap_string((std::string(name) + "*").c_str()) + " " + imap_string(encoded.c_str());
  } else {
    std::string words = take_gstring(g_mime_utils_header_encode_text(nullptr, text.c_str(), "utf-8"));
    std::erase_if(words, [](char c) { return c == '\r' || c == '\n'; });
    out += imap_string(name) + " " + imap_string(words.c_str());
  }
}

// body-fld-param: ("name" "value" ...) or NIL; a text part's charset defaults to us-ascii.
std::string parameters(GMimeParamList* params, bool default_charset) {
  std::string out = "(";
  bool has_charset = false;
  for (int i = 0; params && i < g_mime_param_list_length(params); ++i) {
    GMimeParam* param = g_mime_param_list_get_parameter_at(params, i);
    const char* name = g_mime_param_get_name(param);
    if (name && iequals(name, "charset") && g_mime_param_get_value(param)) has_charset = true;
    append_parameter(out, param);
  }
  if (default_charset && !has_charset) out += std::string(out.size() > 1 ? " " : "") + "\"charset\" \"us-ascii\"";
  return out.size() > 1 ? out + ")" : "NIL";
}

// body-fld-dsp: ("type" params) or NIL.
std::string disposition(GMimeObject* object) {
  if (!raw_header(object, "Content-Disposition")) return "NIL";
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  if (!disposition) return "NIL";
  const char* type = g_mime_content_disposition_get_disposition(disposition);
  return "(" + imap_string(type ? type : "") + " " +
         parameters(g_mime_content_disposition_get_parameters(disposition), false) + ")";
}

// body-fld-lang: the comma-separated tags of Content-Language as a list, or NIL.
std::string language(GMimeObject* object) {
  std::optional<std::string> value = raw_header(object, "Content-Language");
  if (!value) return "NIL";
  std::string out = "(";
  size_t start = 0;
  while (start <= value->size()) {
    size_t comma = value->find(',', start);
    if (comma == std::string::npos) comma = value->size();
    std::string tag = trim_whitespace(std::string_view(*value).substr(start, comma - start));
    if (!tag.empty()) out += (out.size() > 1 ? " " : "") + imap_string(tag.c_str());
    start = comma + 1;
  }
  return out.size() > 1 ? out + ")" : "NIL";
}

// Writes BODY or BODYSTRUCTURE for one message, reading the parts' sizes from the bytes it was
// parsed from. GMime records where each leaf part's content starts (its content stream is a
// window on those bytes) and where each header field starts; the rest is found here the way
// GMime's parser finds it: a part's body ends before the first line that is a boundary of one
// of the multiparts around it.
class BodyStructureWriter {
 public:
  BodyStructureWriter(std::string_view raw, bool extensible) : extensible_(extensible), bounds_(raw) {}

  std::string write(GMimeMessage* message) {
    GMimeObject* top = message ? g_mime_message_get_mime_part(message) : nullptr;
    write_object(top, GMIME_OBJECT(message), 0);
    return std::move(out_);
  }

 private:
  // `owner` holds the rest of the header block of `object` (the message whose top part it is).
  void write_object(GMimeObject* object, GMimeObject* owner, int depth) {
    if (!object || depth >= kMaxNesting) {
      write_empty_text();
      return;
    }
    if (GMIME_IS_MULTIPART(object)) {
      write_multipart(GMIME_MULTIPART(object), depth);
      return;
    }

    GMimeContentType* type = g_mime_object_get_content_type(object);
    const char* media = type ? g_mime_content_type_get_media_type(type) : nullptr;
    const char* subtype = type ? g_mime_content_type_get_media_subtype(type) : nullptr;
    // GMime's parser falls back to text/plain for a Content-Type it cannot parse, but the part
    // then reports application/octet-stream: RFC 2045 says text/plain.
    bool unparsable = !media || !subtype || (GMIME_IS_TEXT_PART(object) && !iequals(media, "text"));
    if (unparsable) {
      media = "text";
      subtype = "plain";
    }
    bool text = iequals(media, "text");
    bool rfc822 = !unparsable && is_media(type, "message", "rfc822");

    GMimeMessage* embedded = nullptr;
    std::string_view body;
    if (GMIME_IS_MESSAGE_PART(object)) {
      embedded = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      body = bounds_.body_from(bounds_.message_body_begin(object, owner, embedded));
    } else if (GMIME_IS_PART(object)) {
      body = bounds_.leaf_body(GMIME_PART(object));
    }

    if (rfc822) {  // media-message has one spelling, whatever the header's (as in Dovecot)
      media = "message";
      subtype = "rfc822";
    }
    out_ += '(' + imap_string(media) + ' ' + imap_string(subtype) + ' ';
    out_ += parameters(unparsable ? nullptr : g_mime_content_type_get_parameters(type), text);
    out_ += ' ' + nstring(raw_header(object, "Content-ID"));
    out_ += ' ' + nstring(raw_header(object, "Content-Description"));
    out_ += ' ' + imap_string(transfer_encoding(object).c_str());
    out_ += ' ' + std::to_string(body.size());
    if (rfc822) {
      // A message/rfc822 part GMime did not parse (transfer-encoded, or empty) still needs an
      // envelope and a body to be valid IMAP: empty ones, as Dovecot writes them.
      out_ += ' ' + (embedded ? imap_envelope(embedded) : std::string(kEmptyEnvelope)) + ' ';
      if (embedded)
        write_object(g_mime_message_get_mime_part(embedded), GMIME_OBJECT(embedded), depth + 1);
      else
        write_empty_text();
    }
    if (rfc822 || text) out_ += ' ' + std::to_string(std::count(body.begin(), body.end(), '\n'));
    if (extensible_) {
      out_ += ' ' + nstring(raw_header(object, "Content-MD5"));
      out_ += ' ' + disposition(object);
      out_ += ' ' + language(object);
      out_ += ' ' + nstring(raw_header(object, "Content-Location"));
    }
    out_ += ')';
  }

  void write_multipart(GMimeMultipart* multipart, int depth) {
    GMimeObject* object = GMIME_OBJECT(multipart);
    // The parser ends each part at a boundary line of any multipart around it.
    bool bounded = bounds_.enter_multipart(object);
    out_ += '(';
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count; ++i) write_object(g_mime_multipart_get_part(multipart, i), nullptr, depth + 1);
    // RFC 3501 requires at least one part: an empty text/plain one stands for none, as in Dovecot.
    if (count == 0) write_empty_text();
    if (bounded) bounds_.leave_multipart();
    GMimeContentType* type = g_mime_object_get_content_type(object);
    const char* subtype = type ? g_mime_content_type_get_media_subtype(type) : nullptr;
    out_ += ' ' + imap_string(subtype ? subtype : "mixed");
    if (extensible_) {
      out_ += ' ' + parameters(type ? g_mime_content_type_get_parameters(type) : nullptr, false);
      out_ += ' ' + disposition(object);
      out_ += ' ' + language(object);
      out_ += ' ' + nstring(raw_header(object, "Content-Location"));
    }
    out_ += ')';
  }

  void write_empty_text() {
    out_ += "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";
    if (extensible_) out_ += " NIL NIL NIL NIL";
    out_ += ')';
  }

  bool extensible_;
  PartBounds bounds_;
  std::string out_;
};

}  // namespace

std::string imap_bodystructure(std::string_view raw, bool extensible) {
  auto message = parse_message(raw);
  return BodyStructureWriter(raw, extensible).write(message.get());
}

std::string imap_bodystructure(GMimeMessage* message, std::string_view raw, bool extensible) {
  if (message && !parsed_from(g_mime_message_get_mime_part(message), raw)) return imap_bodystructure(raw, extensible);
  return BodyStructureWriter(raw, extensible).write(message);
}

}  // namespace ximssd::mime
