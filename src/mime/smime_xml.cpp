// Signed parts: multipart/signed with a detached PKCS#7/CMS signature (RFC 8551 section 3.5.3)
// and application/pkcs7-mime signed-data holding its own content (section 3.5.2).
#include "mime/smime_xml.hpp"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "base/base64.hpp"
#include "base/text.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_content.hpp"

namespace ximssd::mime {

namespace {

struct OpenSslFree {
  void operator()(CMS_ContentInfo* p) const noexcept { CMS_ContentInfo_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free_all(p); }
  void operator()(X509_STORE_CTX* p) const noexcept { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509)* p) const noexcept { sk_X509_pop_free(p, X509_free); }
};
using CmsPtr = std::unique_ptr<CMS_ContentInfo, OpenSslFree>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree>;
using StoreContextPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree>;
using CertificatesPtr = std::unique_ptr<STACK_OF(X509), OpenSslFree>;

// OpenSSL's reason for the failure just reported. The thread's error queue is left empty, so
// that no later OpenSSL user on this thread (TLS on a network thread) sees our errors.
std::string openssl_reason(const char* fallback) {
  const char* reason = ERR_reason_error_string(ERR_peek_error());
  std::string text = reason ? reason : fallback;
  ERR_clear_error();
  return text;
}

bool is_type(GMimeContentType* type, const char* media, const char* subtype) {
  return g_mime_content_type_is_type(type, media, subtype);
}

// "application/pkcs7-signature" and its older name "application/x-pkcs7-signature".
bool names_pkcs7_signature(std::string_view mime_type) {
  std::string type = ascii_lower(trim_whitespace(mime_type));
  return type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature";
}

// Signatures are computed over the canonical form of the content, whose line ends are CRLF
// (RFC 8551 section 3.1.1); a message stored with bare LFs is brought back to it.
std::string crlf_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

// A delimiter line of `boundary` starts at `at`: at the start of a line, "--boundary", then
// only spaces or tabs (transport padding) up to the line end. `closing` accepts "--boundary--".
bool is_delimiter_at(std::string_view bytes, size_t at, std::string_view boundary, bool closing) {
  if (at > 0 && bytes[at - 1] != '\n') return false;
  if (bytes.substr(at, 2) != "--" || bytes.substr(at + 2, boundary.size()) != boundary) return false;
  size_t i = at + 2 + boundary.size();
  if (bytes.substr(i, 2) == "--") {
    if (!closing) return false;
    i += 2;
  }
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t')) ++i;
  return i == bytes.size() || bytes[i] == '\r' || bytes[i] == '\n';
}

// Where the last (non-closing) delimiter line of `boundary` that starts before `before` begins.
std::optional<size_t> previous_delimiter(std::string_view bytes, size_t before, std::string_view boundary) {
  std::string marker = "--" + std::string(boundary);
  while (before > 0) {
    size_t found = bytes.rfind(marker, before - 1);
    if (found == std::string_view::npos) return std::nullopt;
    if (is_delimiter_at(bytes, found, boundary, false)) return found;
    before = found;
  }
  return std::nullopt;
}

// The signed part of a multipart/signed exactly as the message holds it: the signature covers
// these bytes, and GMime's re-serialisation of a parsed part can differ from them (it drops
// padding from delimiter lines, for one). GMime keeps each leaf's content as a
// window on the buffer it parsed, so the signature part's window leads back to that buffer;
// the delimiter lines before and after the first part bound it there (the line break before a
// delimiter belongs to the delimiter, RFC 2046 section 5.1.1). Nothing when the part was not
// parsed from a buffer or the bytes found do not line up with the parse.
std::optional<std::string_view> raw_signed_bytes(GMimeMultipart* multipart, GMimeObject* content,
                                                 GMimePart* signature) {
  const char* boundary = g_mime_multipart_get_boundary(multipart);
  GMimeDataWrapper* wrapper = g_mime_part_get_content(signature);
  GMimeStream* window = wrapper ? g_mime_data_wrapper_get_stream(wrapper) : nullptr;
  // A stream that owns its memory holds a copy of the content, not a window on the message.
  if (!boundary || !*boundary || !window || !GMIME_IS_STREAM_MEM(window) || GMIME_STREAM_MEM(window)->owner)
    return std::nullopt;
  GByteArray* buffer = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(window));
  if (!buffer || window->bound_start <= 0 || window->bound_start > static_cast<gint64>(buffer->len))
    return std::nullopt;
  std::string_view bytes(reinterpret_cast<const char*>(buffer->data), buffer->len);
  auto second = previous_delimiter(bytes, static_cast<size_t>(window->bound_start), boundary);
  auto first = second ? previous_delimiter(bytes, *second, boundary) : std::nullopt;
  if (!first) return std::nullopt;
  size_t start = bytes.find('\n', *first) + 1;  // the delimiter line ends in '\n': *second follows
  size_t end = *second - 1;                      // the '\n' that starts the second delimiter line
  if (end > start && bytes[end - 1] == '\r') --end;
  if (end < start) return std::nullopt;
  // The part's first header field must begin where its bytes were found to begin.
  GMimeHeaderList* headers = g_mime_object_get_header_list(content);
  if (headers && g_mime_header_list_get_count(headers) > 0 &&
      g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, 0)) != static_cast<gint64>(start))
    return std::nullopt;
  return bytes.substr(start, end - start);
}

// What GMime's own verification digests: the part written out again, with CRLF line ends.
std::string reserialized_bytes(GMimeObject* content) {
  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  std::string bytes = take_gstring(g_mime_object_to_string(content, format));
  g_mime_format_options_free(format);
  return bytes;
}

// The system's certificate authorities and, when named, those of an extra PEM file, loaded
// once per process for each file name.
X509_STORE* trust_store(const std::string& extra_ca_file) {
  static std::mutex mutex;
  static auto* stores = new std::map<std::string, X509_STORE*>;  // kept for the process's life
  std::lock_guard lock(mutex);
  X509_STORE*& store = (*stores)[extra_ca_file];
  if (!store) {
    store = X509_STORE_new();
    if (store) {
      X509_STORE_set_default_paths(store);
      if (!extra_ca_file.empty()) X509_STORE_load_file(store, extra_ca_file.c_str());
    }
    ERR_clear_error();  // a missing system bundle or extra file only means fewer trusted authorities
  }
  return store;
}

// "" when the certificate chains up to a trusted authority and may sign mail; otherwise
// OpenSSL's text for why not (X509_verify_cert_error_string).
std::string validation_error(X509* certificate, STACK_OF(X509)* untrusted, X509_STORE* store) {
  StoreContextPtr context(X509_STORE_CTX_new());
  if (!store || !context || !X509_STORE_CTX_init(context.get(), store, certificate, untrusted)) {
    ERR_clear_error();
    return "the certificate could not be checked";
  }
  X509_STORE_CTX_set_default(context.get(), "smime_sign");
  std::string error;
  if (X509_verify_cert(context.get()) <= 0)
    error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
  ERR_clear_error();
  return error;
}

// "SHA256" for the signer's digest algorithm, as OpenSSL names it.
std::string digest_name(CMS_SignerInfo* signer_info) {
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(signer_info, nullptr, nullptr, &digest, nullptr);
  if (!digest) return "";
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  if (!oid) return "";
  std::string name;
  if (int nid = OBJ_obj2nid(oid); nid != NID_undef && OBJ_nid2sn(nid)) {
    name = OBJ_nid2sn(nid);
  } else {
    char text[80];
    if (OBJ_obj2txt(text, sizeof text, oid, 1) > 0) name = text;
  }
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
  return name;
}

struct Signer {
  X509* certificate;  // owned by the CMS structure
  std::string validation_error;
};

struct SignatureCheck {
  std::string error;  // why the signature data could not be read; the rest is then empty
  CmsPtr cms;
  std::string digester;
  std::vector<Signer> signers;  // those whose signature matches the content
  std::string embedded;         // the content carried inside the signature (signed-data)
};

SignatureCheck read_signature(std::string_view der) {
  SignatureCheck check;
  if (der.empty() || der.size() > INT_MAX) {
    check.error = "no signature data";
    return check;
  }
  BioPtr input(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  check.cms.reset(input ? d2i_CMS_bio(input.get(), nullptr) : nullptr);
  if (!check.cms) {
    check.error = "cannot decode the signature data: " + openssl_reason("not a CMS structure");
  } else if (OBJ_obj2nid(CMS_get0_type(check.cms.get())) != NID_pkcs7_signed) {
    check.error = "the signature data is not CMS signed data";
    check.cms.reset();
  }
  return check;
}

// Digests the content (`detached`, or when null the content inside the signature) for every
// signer at once, then keeps each signer whose signature holds and whose certificate the
// signature carries. These are CMS_verify's steps taken one signer at a time: CMS_verify
// fails as a whole when any one signer fails, and a signer that does not match must only be
// left out of the list.
void check_signers(SignatureCheck& check, const std::string* detached, const RenderOptions& options) {
  CMS_ContentInfo* cms = check.cms.get();
  if (!detached) {
    ASN1_OCTET_STRING** inside = CMS_get0_content(cms);
    if (!inside || !*inside) {
      check.error = "the signature carries no content";
      return;
    }
  }
  STACK_OF(CMS_SignerInfo)* signer_infos = CMS_get0_SignerInfos(cms);
  if (sk_CMS_SignerInfo_num(signer_infos) > 0) check.digester = digest_name(sk_CMS_SignerInfo_value(signer_infos, 0));
  CMS_set1_signers_certs(cms, nullptr, 0);  // pairs each signer with its certificate, when carried
  ERR_clear_error();

  BIO* source = nullptr;
  if (detached) {
    if (detached->size() > INT_MAX) return;
    source = BIO_new_mem_buf(detached->data(), static_cast<int>(detached->size()));
    if (!source) return;
  }
  BioPtr chain(CMS_dataInit(cms, source));  // on success the chain owns `source`
  if (!chain) {
    BIO_free(source);
    check.error = "cannot read the signed content: " + openssl_reason("unsupported digest");
    return;
  }
  char buffer[16384];
  for (int n; (n = BIO_read(chain.get(), buffer, sizeof buffer)) > 0;)
    if (!detached) check.embedded.append(buffer, static_cast<size_t>(n));

  CertificatesPtr carried(CMS_get1_certs(cms));
  X509_STORE* store = trust_store(options.smime_ca_file);
  for (int i = 0; i < sk_CMS_SignerInfo_num(signer_infos); ++i) {
    CMS_SignerInfo* signer_info = sk_CMS_SignerInfo_value(signer_infos, i);
    X509* certificate = nullptr;
    CMS_SignerInfo_get0_algs(signer_info, nullptr, &certificate, nullptr, nullptr);
    bool matches = certificate != nullptr;
    // With signed attributes the signature covers them and they hold the content's digest.
    if (matches && CMS_signed_get_attr_count(signer_info) >= 0) matches = CMS_SignerInfo_verify(signer_info) > 0;
    if (matches) matches = CMS_SignerInfo_verify_content(signer_info, chain.get()) > 0;
    ERR_clear_error();
    if (matches) check.signers.push_back({certificate, validation_error(certificate, carried.get(), store)});
  }
}

void write_signature(xml::XmlWriter& out, const SignatureCheck& check, const RenderOptions& options) {
  out.open("SMIMESignature");
  for (const Signer& signer : check.signers)
    write_x509_element(out, signer.certificate, signer.validation_error, options.x509_base64);
  out.close();
}

std::string child_id(const std::string& part_id, const char* suffix) {
  return part_id.empty() ? suffix : part_id + "-" + suffix;
}

void render_detached(xml::XmlWriter& out, GMimeMultipart* multipart, const std::string& part_id, RenderState& state) {
  int count = g_mime_multipart_get_count(multipart);
  GMimeObject* content = count > 0 ? g_mime_multipart_get_part(multipart, 0) : nullptr;
  GMimeObject* signature = count > 1 ? g_mime_multipart_get_part(multipart, 1) : nullptr;
  SignatureCheck check;
  GMimeContentType* signature_type = signature ? g_mime_object_get_content_type(signature) : nullptr;
  if (!content || !signature_type || !GMIME_IS_PART(signature) ||
      !names_pkcs7_signature(take_gstring(g_mime_content_type_get_mime_type(signature_type)))) {
    check.error = "no signature part";
  } else {
    check = read_signature(decoded_content(GMIME_PART(signature)));
    if (check.error.empty()) {
      std::string signed_bytes;
      if (auto raw = raw_signed_bytes(multipart, content, GMIME_PART(signature))) signed_bytes = crlf_line_ends(*raw);
      else signed_bytes = crlf_line_ends(reserialized_bytes(content));
      check_signers(check, &signed_bytes, state.options);
    }
  }
  if (!check.error.empty()) out.attr("decryptionError", check.error);
  else if (!check.digester.empty()) out.attr("digesterName", check.digester);
  if (content) render_part(out, content, child_id(part_id, "01"), state);
  if (check.error.empty()) write_signature(out, check, state.options);
}

void render_opaque(xml::XmlWriter& out, GMimePart* part, const std::string& part_id, RenderState& state) {
  SignatureCheck check = read_signature(decoded_content(part));
  if (check.error.empty()) check_signers(check, nullptr, state.options);
  if (!check.error.empty()) {
    out.attr("decryptionError", check.error);
    return;
  }
  if (!check.digester.empty()) out.attr("digesterName", check.digester);
  ensure_gmime();
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(check.embedded.data(), check.embedded.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeObject> entity(g_mime_parser_construct_part(parser.get(), nullptr));
  if (!entity) out.attr("parseError", "the signed content is not a MIME entity");
  else render_part(out, entity.get(), child_id(part_id, "S"), state);
  // The sizes are keyed by object address, and the entity's objects are freed below, so that
  // memory may hold other parts later in this render.
  state.sizes.clear();
  write_signature(out, check, state.options);
}

// Name components as XML elements: the reference's names, and for any other attribute type
// OpenSSL's short name in lower case.
std::string name_element(int nid) {
  switch (nid) {
    case NID_countryName: return "c";
    case NID_stateOrProvinceName: return "st";
    case NID_localityName: return "l";
    case NID_organizationName: return "o";
    case NID_organizationalUnitName: return "ou";
    case NID_commonName: return "cn";
    case NID_pkcs9_emailAddress: return "contact";
    default: {
      const char* short_name = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
      std::string name = ascii_lower(short_name ? short_name : "");
      return is_xml_name(name) ? name : "";
    }
  }
}

// The reference's example lists the components in alphabetical order (c, cn, contact, l, o,
// ou, st) whatever their order in the certificate; components of one type keep theirs.
void write_name(xml::XmlWriter& out, const char* element, const X509_NAME* name) {
  std::vector<std::pair<std::string, std::string>> components;
  for (int i = 0; name && i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    std::string tag = name_element(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length >= 0 && !tag.empty())
      components.emplace_back(tag, to_valid_utf8(std::string_view(reinterpret_cast<char*>(utf8), static_cast<size_t>(length))));
    OPENSSL_free(utf8);
  }
  ERR_clear_error();
  std::stable_sort(components.begin(), components.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.open(element);
  for (const auto& [tag, value] : components) out.element(tag, value);
  out.close();
}

// "20170923T231857Z"
void write_time(xml::XmlWriter& out, const char* element, const ASN1_TIME* time) {
  struct tm parts {};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) {
    ERR_clear_error();
    return;
  }
  char text[80];
  std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
  out.element(element, text);
}

// The signer's address: from the subject's emailAddress or the subjectAltName's rfc822Name.
std::string certificate_email(X509* certificate) {
  STACK_OF(OPENSSL_STRING)* emails = X509_get1_email(certificate);
  std::string email;
  if (emails && sk_OPENSSL_STRING_num(emails) > 0) email = to_valid_utf8(sk_OPENSSL_STRING_value(emails, 0));
  X509_email_free(emails);
  ERR_clear_error();
  return email;
}

}  // namespace

bool is_smime_signed(GMimeObject* part) {
  GMimeContentType* type = g_mime_object_get_content_type(part);
  if (!type) return false;
  if (GMIME_IS_MULTIPART(part)) {
    const char* protocol = g_mime_content_type_get_parameter(type, "protocol");
    return is_type(type, "multipart", "signed") && protocol && names_pkcs7_signature(protocol);
  }
  if (!GMIME_IS_PART(part) || !(is_type(type, "application", "pkcs7-mime") || is_type(type, "application", "x-pkcs7-mime")))
    return false;
  const char* smime_type = g_mime_content_type_get_parameter(type, "smime-type");
  return smime_type && iequals(trim_whitespace(smime_type), "signed-data");
}

void render_smime_signed(xml::XmlWriter& out, GMimeObject* part, const std::string& part_id, RenderState& state) {
  if (GMIME_IS_MULTIPART(part)) render_detached(out, GMIME_MULTIPART(part), part_id, state);
  else if (GMIME_IS_PART(part)) render_opaque(out, GMIME_PART(part), part_id, state);
}

void write_x509_element(xml::XmlWriter& out, X509* certificate, const std::string& validation_error, bool with_der) {
  out.open("x509");
  std::string email = certificate_email(certificate);
  if (!email.empty()) out.attr("subject", email);
  if (!validation_error.empty()) out.attr("validationError", validation_error);
  out.attr("version", static_cast<int64_t>(X509_get_version(certificate)));
  write_name(out, "subject", X509_get_subject_name(certificate));
  write_name(out, "issuer", X509_get_issuer_name(certificate));
  write_time(out, "validFrom", X509_get0_notBefore(certificate));
  write_time(out, "validTill", X509_get0_notAfter(certificate));
  if (with_der) {
    unsigned char* der = nullptr;
    int length = i2d_X509(certificate, &der);
    if (length > 0) out.element("base64", base64_encode(std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(length))));
    OPENSSL_free(der);
    ERR_clear_error();
  }
  out.close();
}

}  // namespace ximssd::mime
