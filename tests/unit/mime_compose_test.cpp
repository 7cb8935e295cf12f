// Composing messages from XML (C-messages.md section 7): the flowed example and round trips
// through the renderer.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <sstream>
#include <vector>
#include <string>

#include "base/error.hpp"
#include "mime/compose.hpp"
#include "mime/email_xml.hpp"

using namespace ximssd;

namespace {

std::string compose(const std::string& xml, mime::ComposeOptions options = {}) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str(), pugi::parse_default | pugi::parse_ws_pcdata_single));
  return mime::compose_message(doc.document_element(), options);
}

// Reverses RFC 3676: soft line breaks (a trailing space) join lines, space-stuffing is removed.
std::string unflow(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == ' ') line.erase(0, 1);
    out += line;
    if (line.empty() || line.back() != ' ') out += '\n';
  }
  return out;
}

}  // namespace

TEST(Flowed, WrapsLongLinesAfterSpacesAndStuffs) {
  std::string text =
      "This is a very long long long long long long long long long long superlong long long long long long long line, "
      "followed with a shorter line:\nThis is a shorter line.\n>quoted\nFrom here\n";
  std::string flowed = mime::flowed_text(text);
  std::istringstream in(flowed);
  std::string line;
  std::getline(in, line);
  // The reference's example breaks the line at the same place.
  EXPECT_EQ(line, "This is a very long long long long long long long long long long superlong ");
  while (std::getline(in, line)) EXPECT_LE(line.size(), 78u) << line;
  EXPECT_NE(flowed.find("\n >quoted\n"), std::string::npos);
  EXPECT_NE(flowed.find("\n From here\n"), std::string::npos);
  EXPECT_EQ(unflow(flowed), text);
}

TEST(Compose, SeedFlowedExample) {
  std::string message = compose(
      "<EMail><Subject>Test text</Subject><MIME type=\"text\" subtype=\"plain\" format=\"flowed\">This is a very long "
      "long long long long long long long long long superlong long long long long long long line, followed with a "
      "shorter line:\nThis is a shorter line.</MIME></EMail>");
  EXPECT_NE(message.find("Subject: Test text\r\n"), std::string::npos) << message;
  EXPECT_NE(message.find("format=flowed"), std::string::npos) << message;
  EXPECT_NE(message.find("charset=utf-8"), std::string::npos) << message;
  EXPECT_NE(message.find("Message-ID: <"), std::string::npos) << message;  // generated
  EXPECT_NE(message.find("Date: "), std::string::npos) << message;
  EXPECT_NE(message.find("superlong \r\nlong long"), std::string::npos) << message;
  EXPECT_NE(message.find("This is a shorter line."), std::string::npos) << message;
  EXPECT_EQ(message.find("\n\n"), std::string::npos);  // CRLF only
}

TEST(Compose, RoundTripsThroughTheRenderer) {
  std::string xml =
      "<EMail><From realName=\"Sender Name\">from@example.dom</From><To>a@example.dom</To>"
      "<To realName=\"Jos\xC3\xA9 P\xC3\xA9rez\">b@example.dom</To><Cc>c@example.dom</Cc>"
      "<Subject>Caf\xC3\xA9 at 5?</Subject>"
      "<Date timeShift=\"-25200\" localTime=\"20070829T215124\">20070830T045124Z</Date>"
      "<Message-ID>&lt;web-40721383@domain.dom&gt;</Message-ID><X-Mailer>ximssd test</X-Mailer>"
      "<MIME type=\"multipart\" subtype=\"alternative\">"
      "<MIME type=\"text\" subtype=\"plain\" charset=\"utf-8\">Hello,\nthe caf\xC3\xA9 is open.\n</MIME>"
      "<MIME type=\"text\" subtype=\"html\" charset=\"utf-8\">&lt;p&gt;Hello&lt;/p&gt;\n</MIME></MIME></EMail>";
  std::string message = compose(xml);
  mime::RenderOptions options;
  options.time_zone = "America/Los_Angeles";
  std::string rendered = mime::render_email_xml(message, options);
  pugi::xml_document a, b;
  ASSERT_TRUE(a.load_string(xml.c_str()));
  ASSERT_TRUE(b.load_string(rendered.c_str())) << rendered;
  auto want = a.document_element(), got = b.document_element();
  for (const char* field : {"From", "Subject", "Date", "Message-ID", "X-Mailer", "Cc"})
    EXPECT_STREQ(got.child(field).text().get(), want.child(field).text().get()) << field << "\n" << message;
  EXPECT_STREQ(got.child("From").attribute("realName").value(), "Sender Name");
  EXPECT_STREQ(got.child("Date").attribute("timeShift").value(), "-25200");
  EXPECT_STREQ(got.child("Date").attribute("localTime").value(), "20070829T215124");
  auto to = got.children("To");
  std::vector<pugi::xml_node> tos(to.begin(), to.end());
  ASSERT_EQ(tos.size(), 2u) << rendered;
  EXPECT_STREQ(tos[1].attribute("realName").value(), "Jos\xC3\xA9 P\xC3\xA9rez");
  auto body = got.child("MIME");
  EXPECT_STREQ(body.attribute("subtype").value(), "alternative");
  auto parts = body.children("MIME");
  std::vector<pugi::xml_node> list(parts.begin(), parts.end());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_STREQ(list[0].text().get(), "Hello,\nthe caf\xC3\xA9 is open.\n");
  EXPECT_STREQ(list[1].text().get(), "<p>Hello</p>\n");
}

TEST(Compose, RefusesWhatItCannotBuild) {
  EXPECT_THROW(compose("<EMail><MIME type=\"image\" subtype=\"gif\"/></EMail>"), Failure);
  EXPECT_THROW(compose("<EMail><Subject>a\nb</Subject></EMail>"), Failure);
  // A Date the renderer could not read comes back as text, so that such messages round-trip.
  EXPECT_NE(compose("<EMail><Date>yesterday</Date></EMail>").find("Date: yesterday\r\n"), std::string::npos);
  EXPECT_THROW(compose("<EMail><Date timeShift=\"x\">20200101T000000Z</Date></EMail>"), Failure);
  EXPECT_THROW(compose("<EMail><MIME/><MIME/></EMail>"), Failure);
  EXPECT_THROW(compose("<Mail/>"), Failure);
  mime::ComposeOptions sending;
  sending.keep_bcc = false;
  EXPECT_EQ(compose("<EMail><Bcc>hidden@example.dom</Bcc></EMail>", sending).find("hidden@"), std::string::npos);
  EXPECT_NE(compose("<EMail><Bcc>kept@example.dom</Bcc></EMail>").find("kept@example.dom"), std::string::npos);
}

TEST(Compose, AttachmentsFromUploadsAndInlineBase64) {
  mime::UploadedFile gif{"test.gif", "image", "gif", "", std::string("GIF89a\x01\x00\x01\x00\x00\xff", 12)};
  mime::ComposeOptions options;
  options.find_upload = [&](std::string_view id) { return id == "att01" ? &gif : nullptr; };
  std::string message = compose(
      "<EMail><Subject>files</Subject><MIME type=\"multipart\" subtype=\"mixed\">"
      "<MIME type=\"text\" subtype=\"plain\">see attached</MIME><MIME uploadID=\"att01\"/>"
      "<MIME type=\"application\" subtype=\"pdf\" disposition-filename=\"a.pdf\">JVBERi0xLjQK</MIME>"
      "</MIME></EMail>",
      options);
  EXPECT_NE(message.find("Content-Type: image/gif; name=test.gif"), std::string::npos) << message;
  EXPECT_NE(message.find("Content-Disposition: attachment; filename=test.gif"), std::string::npos) << message;
  EXPECT_NE(message.find("Content-Transfer-Encoding: base64"), std::string::npos) << message;
  EXPECT_NE(message.find("filename=a.pdf"), std::string::npos) << message;
  // The renderer reads the same parts back, with their names.
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(mime::render_email_xml(message, {}).c_str()));
  auto parts = doc.document_element().child("MIME").children("MIME");
  std::vector<pugi::xml_node> list(parts.begin(), parts.end());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_STREQ(list[1].attribute("Disposition-filename").value(), "test.gif");
  EXPECT_STREQ(list[1].attribute("estimatedSize").value(), "12");
  EXPECT_STREQ(list[2].attribute("subtype").value(), "pdf");
  EXPECT_THROW(compose("<EMail><MIME uploadID=\"missing\"/></EMail>", options), Failure);
  EXPECT_THROW(compose("<EMail><MIME type=\"image\" subtype=\"gif\">not base64!</MIME></EMail>"), Failure);
}

TEST(Compose, CopyMimeTakesStoredPartsWithoutTheirOtherFields) {
  std::string stored =
      "From: a@example.dom\r\nSubject: stored\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
      "--b\r\nContent-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\n"
      "X-Part-Note: private\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
  mime::ComposeOptions options;
  std::vector<std::pair<std::string, int64_t>> asked;
  options.find_message = [&](std::string_view folder, int64_t uid) {
    asked.emplace_back(std::string(folder), uid);
    if (uid != 7) throw Failure(ErrorCode::notFound, "no message");
    return stored;
  };
  std::string message = compose(
      "<EMail><Subject>copy</Subject><MIME type=\"multipart\" subtype=\"mixed\">"
      "<copyMIME folder=\"INBOX\" UID=\"7\" partID=\"2\"/><copyMIME folder=\"INBOX\" UID=\"7\"/></MIME></EMail>",
      options);
  EXPECT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], (std::pair<std::string, int64_t>{"INBOX", 7}));
  EXPECT_NE(message.find("Content-Type: application/pdf; name=x.pdf"), std::string::npos) << message;
  EXPECT_NE(message.find("JVBERi0xLjQK"), std::string::npos) << message;
  // The part's non-MIME field is not copied; the whole message keeps all of its own.
  size_t enclosed = message.find("Content-Type: message/rfc822");
  EXPECT_GT(message.find("X-Part-Note: private"), enclosed) << message;
  EXPECT_NE(message.find("Content-Type: message/rfc822"), std::string::npos) << message;
  EXPECT_NE(message.find("Subject: stored"), std::string::npos) << message;
  EXPECT_THROW(compose("<EMail><copyMIME folder=\"INBOX\" UID=\"7\" partID=\"5\"/></EMail>", options), Failure);
  EXPECT_THROW(compose("<EMail><copyMIME folder=\"INBOX\" UID=\"8\"/></EMail>", options), Failure);
  EXPECT_THROW(compose("<EMail><copyMIME UID=\"7\"/></EMail>", options), Failure);
  EXPECT_THROW(compose("<EMail><copyMIME folder=\"INBOX\" UID=\"7\"/></EMail>"), Failure);  // no source
}

TEST(Compose, WholeMessageFromAnUploadWithFieldsOverIt) {
  mime::UploadedFile raw{"m.eml", "message", "rfc822", "",
                         "From: old@example.dom\r\nSubject: old subject\r\nX-Kept: yes\r\n\r\nthe body\r\n"};
  mime::ComposeOptions options;
  options.find_upload = [&](std::string_view id) { return id == "m1" ? &raw : nullptr; };
  std::string as_is = compose("<EMail uploadID=\"m1\"/>", options);
  EXPECT_NE(as_is.find("Subject: old subject"), std::string::npos) << as_is;
  EXPECT_NE(as_is.find("the body"), std::string::npos) << as_is;
  std::string changed = compose("<EMail uploadID=\"m1\"><Subject>new subject</Subject></EMail>", options);
  EXPECT_NE(changed.find("Subject: new subject"), std::string::npos) << changed;
  EXPECT_EQ(changed.find("old subject"), std::string::npos) << changed;
  EXPECT_NE(changed.find("X-Kept: yes"), std::string::npos) << changed;
  EXPECT_NE(changed.find("From: old@example.dom"), std::string::npos) << changed;
  EXPECT_NE(changed.find("the body"), std::string::npos) << changed;
  EXPECT_THROW(compose("<EMail uploadID=\"nope\"/>", options), Failure);
}

TEST(Compose, TextWithoutAFinalLineEndKeepsItsEnd) {
  std::string message = compose("<EMail><MIME type=\"text\" subtype=\"plain\">no line end</MIME></EMail>");
  EXPECT_NE(message.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos) << message;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(mime::render_email_xml(message, {}).c_str(), pugi::parse_default | pugi::parse_ws_pcdata));
  EXPECT_STREQ(doc.document_element().child("MIME").text().get(), "no line end");
}
