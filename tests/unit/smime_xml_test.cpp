// S/MIME signed parts in message XML: a certificate authority, a signer and the signatures are
// made here with OpenSSL, assembled into real messages, and rendered.
#include <gmime/gmime.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pugixml.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"

using namespace ximssd;

namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertPtr = std::unique_ptr<X509, OpenSslFree>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, OpenSslFree>;

constexpr time_t kNotBefore = 1577836800;  // 2020-01-01 00:00:00 UTC
constexpr time_t kNotAfter = 4102444799;   // 2099-12-31 23:59:59 UTC

KeyPtr new_key() { return KeyPtr(EVP_EC_gen("P-256")); }

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct Name {
  const char* c;
  const char* st;
  const char* l;
  const char* o;
  const char* ou;
  const char* cn;
  const char* email;
};

// A v3 certificate for `key`: a CA when `issuer` is null (self-signed), else an e-mail signer.
CertPtr make_certificate(const Name& name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long serial) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), kNotBefore);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), kNotAfter);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  auto add = [subject](const char* field, const char* value) {
    X509_NAME_add_entry_by_txt(subject, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value), -1, -1, 0);
  };
  add("C", name.c);
  add("ST", name.st);
  add("L", name.l);
  add("O", name.o);
  add("OU", name.ou);
  add("CN", name.cn);
  add("emailAddress", name.email);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer ? issuer : cert.get();
  if (!issuer) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "emailProtection");
    add_extension(cert.get(), signer, NID_subject_alt_name, (std::string("email:") + name.email).c_str());
  }
  X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return cert;
}

std::string wrap76(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i += 76) out += text.substr(i, 76) + "\r\n";
  return out;
}

std::string der_of(CMS_ContentInfo* cms) {
  BioPtr out(BIO_new(BIO_s_mem()));
  i2d_CMS_bio(out.get(), cms);
  char* data = nullptr;
  long length = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

// A CA, a signer it certified, and a PEM file with the CA for the renderer to trust.
class Smime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_key = new_key().release();
    ca = make_certificate({"US", "CA", "Moscow", "Issuer Company, Inc.", "Issuer Department", "issuer.dom",
                           "postmaster@issuer.dom"},
                          ca_key, nullptr, nullptr, 1)
             .release();
    signer_key = new_key().release();
    signer = make_certificate({"DE", "Berlin", "Berlin", "Sender Company", "Sales", "Sender Name", "signer@example.com"},
                              signer_key, ca, ca_key, 2)
                 .release();
    ca_file = new std::string((std::filesystem::temp_directory_path() /
                               ("smime_xml_test_ca_" + std::to_string(getpid()) + ".pem"))
                                  .string());
    BioPtr file(BIO_new_file(ca_file->c_str(), "w"));
    PEM_write_bio_X509(file.get(), ca);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove(*ca_file);
    delete ca_file;
    X509_free(signer);
    EVP_PKEY_free(signer_key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
  }

  // A signature over `content` (DER), by `signers` (with the same digest), carrying their certificates.
  static std::string sign(const std::string& content, unsigned flags, const EVP_MD* digest = nullptr,
                          std::vector<std::pair<X509*, EVP_PKEY*>> signers = {}) {
    if (signers.empty()) signers = {{signer, signer_key}};
    BioPtr data(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags | CMS_PARTIAL));
    for (auto [cert, key] : signers) EXPECT_NE(CMS_add1_signer(cms.get(), cert, key, digest, flags), nullptr);
    EXPECT_EQ(CMS_final(cms.get(), data.get(), nullptr, flags), 1);
    return der_of(cms.get());
  }

  static std::string signed_message(const std::string& content, const std::string& signature_der) {
    return "From: Sender Name <signer@example.com>\r\nTo: reader@example.com\r\nSubject: signed\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n"
           "\tboundary=\"----SIG\"\r\n\r\nThis is an S/MIME signed message\r\n\r\n------SIG\r\n" +
           content +
           "\r\n------SIG\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
           "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n" +
           wrap76(base64_encode(signature_der)) + "\r\n------SIG--\r\n";
  }

  static mime::RenderOptions trusting() {
    mime::RenderOptions options;
    options.time_zone = "UTC";
    options.smime_ca_file = *ca_file;
    return options;
  }

  // Renders and returns the message's top MIME element.
  pugi::xml_node render(const std::string& message, const mime::RenderOptions& options) {
    xml = mime::render_email_xml(message, options);
    EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
    return doc.document_element().child("MIME");
  }

  static std::vector<pugi::xml_node> elements(pugi::xml_node node) {
    std::vector<pugi::xml_node> list;
    for (auto child : node.children())
      if (child.type() == pugi::node_element) list.push_back(child);
    return list;
  }

  static std::string names(pugi::xml_node node) {  // "c=US,cn=issuer.dom,..."
    std::string out;
    for (auto child : elements(node)) out += (out.empty() ? "" : ",") + std::string(child.name()) + "=" + child.text().get();
    return out;
  }

  static inline EVP_PKEY* ca_key;
  static inline X509* ca;
  static inline EVP_PKEY* signer_key;
  static inline X509* signer;
  static inline std::string* ca_file;
  std::string xml;
  pugi::xml_document doc;
};

// A multipart entity whose first delimiter line carries transport padding, which GMime drops
// when it writes the part out again: only the original bytes verify.
const std::string kContent =
    "Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n"
    "--inner  \r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, signed world.\r\n"
    "--inner\r\nContent-Type: image/gif\r\nContent-Disposition: attachment; filename=\"logo.gif\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQABAAAAACw=\r\n--inner--\r\n";

}  // namespace

TEST_F(Smime, TrustedSignerIsShownWithItsCertificate) {
  auto part = render(signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY)), trusting());
  EXPECT_STREQ(part.attribute("type").value(), "multipart");
  EXPECT_STREQ(part.attribute("subtype").value(), "signed");
  EXPECT_STREQ(part.attribute("digesterName").value(), "SHA256");
  EXPECT_STREQ(part.attribute("Type-protocol").value(), "application/pkcs7-signature");
  EXPECT_FALSE(part.attribute("decryptionError"));
  auto children = elements(part);
  ASSERT_EQ(children.size(), 2u) << xml;  // the content, then the signature; no MIME for smime.p7s
  EXPECT_STREQ(children[0].name(), "MIME");
  EXPECT_STREQ(children[0].attribute("partID").value(), "01");
  EXPECT_STREQ(children[0].attribute("subtype").value(), "mixed");
  EXPECT_STREQ(children[0].child("MIME").attribute("partID").value(), "01-01");
  EXPECT_STREQ(children[0].child("MIME").text().get(), "Hello, signed world.");
  ASSERT_STREQ(children[1].name(), "SMIMESignature");
  auto certificates = elements(children[1]);
  ASSERT_EQ(certificates.size(), 1u) << xml;
  auto x509 = certificates[0];
  EXPECT_STREQ(x509.name(), "x509");
  EXPECT_STREQ(x509.attribute("subject").value(), "signer@example.com");
  EXPECT_STREQ(x509.attribute("version").value(), "2");
  EXPECT_FALSE(x509.attribute("validationError")) << xml;
  EXPECT_EQ(names(x509.child("subject")),
            "c=DE,cn=Sender Name,contact=signer@example.com,l=Berlin,o=Sender Company,ou=Sales,st=Berlin");
  EXPECT_EQ(names(x509.child("issuer")),
            "c=US,cn=issuer.dom,contact=postmaster@issuer.dom,l=Moscow,o=Issuer Company, Inc.,ou=Issuer Department,st=CA");
  EXPECT_STREQ(x509.child("validFrom").text().get(), "20200101T000000Z");
  EXPECT_STREQ(x509.child("validTill").text().get(), "20991231T235959Z");
  EXPECT_FALSE(x509.child("base64"));
}

// The reason the original bytes are needed: GMime's own re-serialisation of the signed part
// differs from what was signed.
TEST_F(Smime, GMimeRewriteOfTheSignedPartDiffersFromItsBytes) {
  auto message = mime::parse_message(signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY)));
  ASSERT_TRUE(message);
  GMimeObject* content = g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(message.get())), 0);
  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  std::string rewritten = mime::take_gstring(g_mime_object_to_string(content, format));
  g_mime_format_options_free(format);
  EXPECT_NE(rewritten, kContent);
}

TEST_F(Smime, UnknownAuthorityGivesValidationError) {
  mime::RenderOptions options;  // the system's authorities only
  auto part = render(signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY)), options);
  auto x509 = part.child("SMIMESignature").child("x509");
  ASSERT_TRUE(x509) << xml;
  EXPECT_STREQ(x509.attribute("validationError").value(),
               X509_verify_cert_error_string(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
  EXPECT_STREQ(x509.attribute("subject").value(), "signer@example.com");
}

TEST_F(Smime, TamperedContentLeavesSignatureEmpty) {
  std::string tampered = kContent;
  tampered.replace(tampered.find("Hello"), 5, "Jello");
  auto part = render(signed_message(tampered, sign(kContent, CMS_DETACHED | CMS_BINARY)), trusting());
  EXPECT_FALSE(part.attribute("decryptionError"));
  auto children = elements(part);
  ASSERT_EQ(children.size(), 2u) << xml;
  EXPECT_STREQ(children[0].child("MIME").text().get(), "Jello, signed world.");
  EXPECT_STREQ(children[1].name(), "SMIMESignature");
  EXPECT_TRUE(elements(children[1]).empty()) << xml;
}

TEST_F(Smime, GarbageSignatureGivesDecryptionErrorAndStillShowsContent) {
  BioPtr data(BIO_new_mem_buf("x", 1));
  CmsPtr not_signed(CMS_data_create(data.get(), CMS_BINARY));
  for (std::string garbage : {std::string("this is not a signature at all"), std::string("\x30\x82\xff\xff\x06", 5),
                              der_of(not_signed.get())}) {
    auto part = render(signed_message(kContent, garbage), trusting());
    EXPECT_NE(std::string(part.attribute("decryptionError").value()), "") << xml;
    EXPECT_FALSE(part.attribute("digesterName"));
    auto children = elements(part);
    ASSERT_EQ(children.size(), 1u) << xml;
    EXPECT_STREQ(children[0].attribute("partID").value(), "01");
    EXPECT_STREQ(children[0].child("MIME").text().get(), "Hello, signed world.");
  }
  // Not base64 at all.
  std::string message = signed_message(kContent, "");
  message.insert(message.find("\r\n------SIG--"), "!!!! ****");
  EXPECT_TRUE(render(message, trusting()).attribute("decryptionError")) << xml;
}

TEST_F(Smime, X509Base64CarriesTheDerCertificate) {
  auto options = trusting();
  options.x509_base64 = true;
  auto part = render(signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY)), options);
  auto x509 = part.child("SMIMESignature").child("x509");
  auto der = base64_decode(x509.child("base64").text().get());
  ASSERT_TRUE(der) << xml;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
  CertPtr decoded(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(X509_cmp(decoded.get(), signer), 0);
  EXPECT_STREQ(elements(x509).back().name(), "base64");
}

TEST_F(Smime, DigesterNameFollowsTheSignature) {
  auto part = render(signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY, EVP_sha1())), trusting());
  EXPECT_STREQ(part.attribute("digesterName").value(), "SHA1");
  EXPECT_TRUE(part.child("SMIMESignature").child("x509")) << xml;
}

// The form `openssl smime -sign` writes (SMIME_write_CMS, old MIME type names): its own lines
// end in LF, the content's in CRLF, and the content is signed in canonical text form.
TEST_F(Smime, OpenSslSmimeOutputVerifies) {
  std::string text = "Content-Type: text/plain\n\nLines written\nwith bare line feeds.\n";
  BioPtr data(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  // As the command does: streaming, the content is signed while it is written out.
  unsigned flags = CMS_DETACHED | CMS_STREAM;
  CmsPtr cms(CMS_sign(signer, signer_key, nullptr, data.get(), flags));
  ASSERT_TRUE(cms);
  BioPtr out(BIO_new(BIO_s_mem()));
  ASSERT_EQ(SMIME_write_CMS(out.get(), cms.get(), data.get(), flags | SMIME_OLDMIME), 1);
  char* written = nullptr;
  long length = BIO_get_mem_data(out.get(), &written);
  std::string message = "From: signer@example.com\nSubject: from openssl\n" + std::string(written, static_cast<size_t>(length));
  auto part = render(message, trusting());
  EXPECT_STREQ(part.attribute("Type-protocol").value(), "application/x-pkcs7-signature");
  auto x509 = part.child("SMIMESignature").child("x509");
  ASSERT_TRUE(x509) << message << "\n" << xml;
  EXPECT_FALSE(x509.attribute("validationError")) << xml;
  EXPECT_STREQ(part.child("MIME").text().get(), "Lines written\nwith bare line feeds.\n");
}

// A message kept with bare LF line ends (as an mbox import may store it) was signed with CRLF.
TEST_F(Smime, MessageStoredWithLineFeedsVerifies) {
  std::string message = signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY));
  std::string lf;
  for (char c : message)
    if (c != '\r') lf += c;
  auto x509 = render(lf, trusting()).child("SMIMESignature").child("x509");
  ASSERT_TRUE(x509) << xml;
  EXPECT_FALSE(x509.attribute("validationError")) << xml;
}

TEST_F(Smime, SignedMessageInsideEnclosedMessageVerifies) {
  std::string inner = signed_message(kContent, sign(kContent, CMS_DETACHED | CMS_BINARY));
  std::string message =
      "From: a@example.com\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
      "--outer\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n" +
      inner + "\r\n--outer--\r\n";
  auto part = render(message, trusting());
  auto enclosed = part.find_node([](pugi::xml_node n) { return std::string(n.attribute("subtype").value()) == "signed"; });
  ASSERT_TRUE(enclosed) << xml;
  auto x509 = enclosed.child("SMIMESignature").child("x509");
  ASSERT_TRUE(x509) << xml;
  EXPECT_FALSE(x509.attribute("validationError")) << xml;
  EXPECT_STREQ(enclosed.child("MIME").attribute("partID").value(), "02-01");
}

// Of two signers, one whose signature was damaged is left out; the other is listed.
TEST_F(Smime, OnlyMatchingSignersAreListed) {
  KeyPtr other_key = new_key();
  CertPtr other = make_certificate({"FR", "IDF", "Paris", "Other", "Unit", "Other Signer", "other@example.com"},
                                   other_key.get(), ca, ca_key, 3);
  std::string der = sign(kContent, CMS_DETACHED | CMS_BINARY, nullptr,
                         {{signer, signer_key}, {other.get(), other_key.get()}});
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(cms);
  STACK_OF(CMS_SignerInfo)* signer_infos = CMS_get0_SignerInfos(cms.get());
  ASSERT_EQ(sk_CMS_SignerInfo_num(signer_infos), 2);
  CMS_SignerInfo* damaged = sk_CMS_SignerInfo_value(signer_infos, 0);
  if (CMS_SignerInfo_cert_cmp(damaged, other.get()) != 0) damaged = sk_CMS_SignerInfo_value(signer_infos, 1);
  ASN1_OCTET_STRING* signature = CMS_SignerInfo_get0_signature(damaged);
  signature->data[signature->length / 2] ^= 0x55;
  auto part = render(signed_message(kContent, der_of(cms.get())), trusting());
  auto certificates = elements(part.child("SMIMESignature"));
  ASSERT_EQ(certificates.size(), 1u) << xml;
  EXPECT_STREQ(certificates[0].attribute("subject").value(), "signer@example.com");
}

TEST_F(Smime, OpaqueSignedDataShowsItsContent) {
  std::string content = "Content-Type: text/plain; charset=us-ascii\r\n\r\nInside the signature.\r\n";
  std::string message = "From: signer@example.com\r\nSubject: opaque\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n"
                        "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n" +
                        wrap76(base64_encode(sign(content, CMS_BINARY)));
  auto part = render(message, trusting());
  EXPECT_STREQ(part.attribute("subtype").value(), "pkcs7-mime");
  EXPECT_STREQ(part.attribute("digesterName").value(), "SHA256");
  auto children = elements(part);
  ASSERT_EQ(children.size(), 2u) << xml;
  EXPECT_STREQ(children[0].attribute("partID").value(), "S");
  EXPECT_STREQ(children[0].text().get(), "Inside the signature.\n");
  auto x509 = children[1].child("x509");
  ASSERT_TRUE(x509) << xml;
  EXPECT_FALSE(x509.attribute("validationError")) << xml;

  // A damaged one: decryptionError and no content.
  std::string damaged = message;
  damaged.replace(damaged.size() - 30, 8, "AAAAAAAA");
  auto broken = render(damaged, trusting());
  EXPECT_TRUE(broken.attribute("decryptionError") || elements(broken.child("SMIMESignature")).empty()) << xml;
}

TEST_F(Smime, EnvelopedDataStaysALeaf) {
  std::string content = "Content-Type: text/plain\r\n\r\nsecret\r\n";
  BioPtr data(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  STACK_OF(X509)* recipients = sk_X509_new_null();
  sk_X509_push(recipients, signer);
  CmsPtr cms(CMS_encrypt(recipients, data.get(), EVP_aes_128_cbc(), CMS_BINARY));
  sk_X509_free(recipients);
  ASSERT_TRUE(cms);
  std::string message = "From: signer@example.com\r\nSubject: secret\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n"
                        "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n" +
                        wrap76(base64_encode(der_of(cms.get())));
  auto part = render(message, trusting());
  EXPECT_STREQ(part.attribute("Type-smime-type").value(), "enveloped-data");
  EXPECT_TRUE(elements(part).empty()) << xml;
  EXPECT_STREQ(part.text().get(), "");
  EXPECT_FALSE(part.attribute("decryptionError"));
  EXPECT_FALSE(part.attribute("digesterName"));
}

// Broken structures around a signature render to well-formed XML without a crash.
TEST_F(Smime, BrokenSignedStructuresRender) {
  std::string signature = sign(kContent, CMS_DETACHED | CMS_BINARY);
  std::string good = signed_message(kContent, signature);
  std::vector<std::string> messages = {
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b--\r\n",
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nonly content\r\n--b--\r\n",
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\ncontent\r\n--b\r\nContent-Type: text/plain\r\n\r\nnot a signature\r\n--b--\r\n",
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\nno boundary\r\n",
      "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\n",
      "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
          base64_encode(signature) + "\r\n",  // a detached signature: no content inside
      good.substr(0, good.size() / 2),
      good.substr(0, good.size() - 40),
  };
  for (size_t cut = 200; cut < good.size(); cut += 97) messages.push_back(good.substr(0, cut));
  for (const auto& message : messages) {
    std::string out = mime::render_email_xml(message, trusting());
    pugi::xml_document parsed;
    EXPECT_TRUE(parsed.load_string(out.c_str())) << message << "\n" << out;
  }
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing is left on this thread's OpenSSL error queue
}

// Signed-data inside signed-data inside ...: nesting is cut like any other. (Binary transfer
// encoding keeps the size linear in the depth.)
TEST_F(Smime, NestedOpaqueSignaturesAreCut) {
  std::string entity = "Content-Type: text/plain\r\n\r\ninnermost\r\n";
  for (int i = 0; i < 40; ++i)
    entity = "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
             sign(entity, CMS_BINARY);
  std::string out = mime::render_email_xml("Subject: deep\r\n" + entity, trusting());
  pugi::xml_document parsed;
  ASSERT_TRUE(parsed.load_string(out.c_str()));
  EXPECT_NE(out.find("nested too deeply"), std::string::npos);
}
