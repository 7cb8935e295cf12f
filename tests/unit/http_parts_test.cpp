// What the HTTP part URLs serve from a message (mime/part_url) and how uploads are read from
// multipart/form-data (mime/form_data); and the single-use login nonces.
#include <gtest/gtest.h>

#include <thread>

#include "mail/login_nonces.hpp"
#include "mime/form_data.hpp"
#include "mime/part_url.hpp"

using namespace ximssd;

namespace {

const std::string kRelated =
    "From: a@b.dom\r\n"
    "Subject: related\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    "\r\n"
    "--alt\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=E9\r\n"
    "--alt\r\n"
    "Content-Type: multipart/related; boundary=\"rel\"\r\n"
    "\r\n"
    "--rel\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<img src=\"cid:logo@x\">\r\n"
    "--rel\r\n"
    "Content-Type: image/gif\r\n"
    "Content-ID: <logo@x>\r\n"
    "Content-Disposition: inline; filename=\"logo.gif\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "R0lGODlhAQABAAAAACw=\r\n"
    "--rel--\r\n"
    "--alt--\r\n";

}  // namespace

TEST(HttpParts, WholeMessageAndHeaderAreTheStoredBytes) {
  auto whole = mime::serve_part(kRelated, "", mime::PartView::whole);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->data, kRelated);
  auto header = mime::serve_part(kRelated, "", mime::PartView::header);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->data, kRelated.substr(0, kRelated.find("\r\n\r\n") + 4));
}

TEST(HttpParts, BodyIsDecodedWithThePartsType) {
  auto text = mime::serve_part(kRelated, "01", mime::PartView::body);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->data.substr(0, 4), "caf\xE9");  // decoded, not converted from its charset
  EXPECT_EQ(text->content_type, "text/plain; charset=iso-8859-1");
  auto gif = mime::serve_part(kRelated, "02-02", mime::PartView::body);
  ASSERT_TRUE(gif);
  EXPECT_EQ(gif->content_type, "image/gif");
  EXPECT_EQ(gif->file_name, "logo.gif");
  EXPECT_EQ(gif->data.substr(0, 6), "GIF89a");
  auto header = mime::serve_part(kRelated, "02-02", mime::PartView::header);
  ASSERT_TRUE(header);
  EXPECT_NE(header->data.find("Content-ID: <logo@x>"), std::string::npos);
  EXPECT_FALSE(mime::serve_part(kRelated, "05", mime::PartView::body));
}

TEST(HttpParts, RelatedPartsAreFoundFromTheHtmlPart) {
  auto logo = mime::serve_related(kRelated, "02-01", "logo@x");
  ASSERT_TRUE(logo);
  EXPECT_EQ(logo->content_type, "image/gif");
  EXPECT_EQ(logo->data.substr(0, 6), "GIF89a");
  // From the message itself too; an unknown Content-ID is nothing.
  EXPECT_TRUE(mime::serve_related(kRelated, "", "logo@x"));
  EXPECT_FALSE(mime::serve_related(kRelated, "02-01", "other@x"));
}

TEST(HttpForm, ReadsTheFileDataField) {
  std::string binary("\x00\x01\xff\r\n--notboundary\r\n", 20);
  std::string body = "--XyZ\r\n"
                     "Content-Disposition: form-data; name=\"other\"\r\n\r\n"
                     "value\r\n"
                     "--XyZ\r\n"
                     "Content-Disposition: form-data; name=\"fileData\"; filename=\"a.bin\"\r\n"
                     "Content-Type: application/x-thing\r\n\r\n" +
                     binary +
                     "\r\n--XyZ--\r\n";
  auto field = mime::form_field("multipart/form-data; boundary=XyZ", body, "fileData");
  ASSERT_TRUE(field);
  EXPECT_EQ(field->data, binary);
  EXPECT_EQ(field->file_name, "a.bin");
  EXPECT_EQ(field->content_type, "application/x-thing");
  EXPECT_FALSE(mime::form_field("multipart/form-data; boundary=XyZ", body, "missing"));
  EXPECT_FALSE(mime::form_field("text/plain", body, "fileData"));
  EXPECT_FALSE(mime::form_field("multipart/form-data; boundary=XyZ\r\nX: y", body, "fileData"));
}

TEST(LoginNonces, EachIsAcceptedOnceAndOnlyWhileFresh) {
  mail::LoginNonces nonces("host.dom", std::chrono::seconds(60), 3);
  std::string a = nonces.issue();
  EXPECT_EQ(a.front(), '<');
  EXPECT_NE(a.find("@host.dom>"), std::string::npos);
  EXPECT_TRUE(nonces.consume(a));
  EXPECT_FALSE(nonces.consume(a));
  EXPECT_FALSE(nonces.consume("<made.up@host.dom>"));
  // Past the capacity the oldest go first.
  std::string b = nonces.issue();
  nonces.issue();
  nonces.issue();
  nonces.issue();
  EXPECT_FALSE(nonces.consume(b));
  mail::LoginNonces short_lived("h", std::chrono::seconds(0));
  std::string c = short_lived.issue();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(short_lived.consume(c));
}
