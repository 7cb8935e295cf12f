// Reply and forward templates (folderRead mode=replyFrom/replyAll/forward and the HTML
// variants): recipients, subjects, threading fields, quoted bodies and carried attachments,
// and that every template composes into a message again.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "mime/compose.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"
#include "mime/html_text.hpp"
#include "mime/part_path.hpp"
#include "mime/quoted_text.hpp"
#include "mime/reply_template.hpp"

using namespace ximssd;
using mime::TemplateMode;

namespace {

// A message's text with CRLF line ends from readable LF source.
std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

mime::TemplateOptions account() {
  mime::TemplateOptions options;
  options.time_zone = "Europe/Berlin";
  options.own_addresses = {"me@example.org", "me.alias@example.org"};
  options.from_address = "me@example.org";
  options.from_real_name = "Me Myself";
  options.folder = "INBOX";
  options.uid = 42;
  return options;
}

struct Template {
  std::string xml;
  pugi::xml_document doc;
  pugi::xml_node email;

  std::vector<std::string> texts(const char* name) const {
    std::vector<std::string> out;
    for (auto node : email.children(name)) out.push_back(node.text().get());
    return out;
  }
  std::vector<std::string> real_names(const char* name) const {
    std::vector<std::string> out;
    for (auto node : email.children(name)) out.push_back(node.attribute("realName").value());
    return out;
  }
  std::string field(const char* name) const { return email.child(name).text().get(); }
  bool has(const char* name) const { return static_cast<bool>(email.child(name)); }
  // The text part's content (text/plain or text/html, wherever it is in the MIME tree).
  pugi::xml_node text_part() const {
    return email.find_node([](pugi::xml_node n) {
      return std::string_view(n.name()) == "MIME" && std::string_view(n.attribute("type").value()) == "text";
    });
  }
  std::string body() const { return text_part().text().get(); }
  // "folder UID partID" of each copyMIME, in order.
  std::vector<std::string> copies() const {
    std::vector<std::string> out;
    for (auto found : email.select_nodes(".//copyMIME")) {
      auto n = found.node();
      out.push_back(std::string(n.attribute("folder").value()) + " " + n.attribute("UID").value() + " " +
                    n.attribute("partID").value());
    }
    return out;
  }
};

void parse_into(Template& t) {
  ASSERT_TRUE(t.doc.load_string(t.xml.c_str(), pugi::parse_default | pugi::parse_ws_pcdata)) << t.xml;
  t.email = t.doc.document_element();
  ASSERT_STREQ(t.email.name(), "EMail");
}

Template make(const std::string& message, TemplateMode mode, const mime::TemplateOptions& options = account()) {
  Template t;
  t.xml = mime::render_template_xml(crlf(message), mode, options);
  parse_into(t);
  return t;
}

// The template composed into a message. copyMIME elements take their parts from `original`
// (the stored message INBOX 42), or are taken out when there is none.
std::string composed(const Template& t, const std::string& original = "") {
  pugi::xml_document copy;
  copy.append_copy(t.email);
  mime::ComposeOptions options;
  options.now = 1700000000;
  if (original.empty()) {
    std::vector<pugi::xml_node> copies;
    for (auto found : copy.select_nodes(".//copyMIME")) copies.push_back(found.node());
    for (auto node : copies) node.parent().remove_child(node);
  } else {
    options.find_message = [&original](std::string_view folder, int64_t uid) {
      EXPECT_EQ(folder, "INBOX");
      EXPECT_EQ(uid, 42);
      return crlf(original);
    };
  }
  return mime::compose_message(copy.document_element(), options);
}

// The template composes into a message whose fields and text are the template's.
void expect_composes(const Template& t, const std::string& original = "") {
  std::string message;
  ASSERT_NO_THROW(message = composed(t, original)) << t.xml;
  auto parsed = mime::parse_message(message);
  ASSERT_TRUE(parsed) << message;
  const char* subject = g_mime_message_get_subject(parsed.get());
  EXPECT_EQ(std::string(subject ? subject : ""), t.field("Subject")) << message;
  InternetAddressList* to = g_mime_message_get_addresses(parsed.get(), GMIME_ADDRESS_TYPE_TO);
  EXPECT_EQ(internet_address_list_length(to), static_cast<int>(t.texts("To").size())) << message;
  if (t.has("In-Reply-To")) {
    const char* value = g_mime_object_get_header(GMIME_OBJECT(parsed.get()), "In-Reply-To");
    EXPECT_EQ(std::string(value ? value : ""), t.field("In-Reply-To")) << message;
  }
  // The text part reads back as the template's text.
  GMimeObject* part = g_mime_message_get_mime_part(parsed.get());
  while (part && GMIME_IS_MULTIPART(part)) part = g_mime_multipart_get_part(GMIME_MULTIPART(part), 0);
  ASSERT_TRUE(part && GMIME_IS_TEXT_PART(part)) << message;
  std::string text = mime::take_gstring(g_mime_text_part_get_text(GMIME_TEXT_PART(part)));
  std::string lf;
  for (char c : text)
    if (c != '\r') lf += c;
  EXPECT_EQ(lf, t.body()) << message;
}

// "type/subtype" of each part of a composed message's top multipart.
std::vector<std::string> top_parts(const std::string& message) {
  std::vector<std::string> out;
  auto parsed = mime::parse_message(message);
  GMimeObject* top = parsed ? g_mime_message_get_mime_part(parsed.get()) : nullptr;
  if (!top || !GMIME_IS_MULTIPART(top)) return out;
  for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(top)); ++i) {
    GMimeObject* part = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);
    char* type = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(part));
    out.push_back(mime::take_gstring(type));
  }
  return out;
}

const std::string kPlain =
    "From: Alice Example <alice@example.com>\n"
    "To: Me Myself <me@example.org>, Bob <bob@example.net>\n"
    "Cc: carol@example.net, ME.ALIAS@example.org\n"
    "Subject: Lunch plans\n"
    "Date: Thu, 14 Mar 2024 09:15:00 +0000\n"
    "Message-ID: <m2@example.com>\n"
    "References: <m0@example.com>\n <m1@example.com>\n"
    "In-Reply-To: <m1@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hi all,\n"
    "\n"
    "> Should we meet at noon?\n"
    "Yes, noon works.\n"
    "\n"
    "-- \n"
    "Alice\n";

}  // namespace

TEST(ReplyTemplate, ModeNames) {
  EXPECT_EQ(mime::template_mode("replyFrom"), TemplateMode::reply_from);
  EXPECT_EQ(mime::template_mode("replyAll"), TemplateMode::reply_all);
  EXPECT_EQ(mime::template_mode("forward"), TemplateMode::forward);
  EXPECT_EQ(mime::template_mode("replyFromHTML"), TemplateMode::reply_from_html);
  EXPECT_EQ(mime::template_mode("replyAllHTML"), TemplateMode::reply_all_html);
  EXPECT_EQ(mime::template_mode("forwardHTML"), TemplateMode::forward_html);
  EXPECT_FALSE(mime::template_mode("reply"));
  EXPECT_FALSE(mime::template_mode(""));
}

TEST(ReplyTemplate, ReplyFromPlainText) {
  Template t = make(kPlain, TemplateMode::reply_from);
  EXPECT_EQ(t.texts("From"), std::vector<std::string>{"me@example.org"});
  EXPECT_EQ(t.real_names("From"), std::vector<std::string>{"Me Myself"});
  EXPECT_EQ(t.texts("To"), std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(t.real_names("To"), std::vector<std::string>{"Alice Example"});
  EXPECT_FALSE(t.has("Cc"));
  EXPECT_EQ(t.field("Subject"), "Re: Lunch plans");
  EXPECT_EQ(t.field("In-Reply-To"), "<m2@example.com>");
  EXPECT_EQ(t.field("References"), "<m0@example.com> <m1@example.com> <m2@example.com>");
  EXPECT_FALSE(t.has("Message-ID"));
  EXPECT_FALSE(t.has("Date"));
  pugi::xml_node mime = t.email.child("MIME");
  EXPECT_STREQ(mime.attribute("type").value(), "text");
  EXPECT_STREQ(mime.attribute("subtype").value(), "plain");
  // Quoted, already-quoted lines one level deeper without a space, the signature left out;
  // 09:15 UTC is 10:15 in Berlin.
  EXPECT_EQ(t.body(),
            "\nOn 2024-03-14 10:15, Alice Example wrote:\n"
            "> Hi all,\n"
            ">\n"
            ">> Should we meet at noon?\n"
            "> Yes, noon works.\n");
  EXPECT_TRUE(t.copies().empty());
  expect_composes(t);
}

TEST(ReplyTemplate, ReplyAllLeavesOutOwnAddressesAndDuplicates) {
  Template t = make(kPlain, TemplateMode::reply_all);
  EXPECT_EQ(t.texts("To"), (std::vector<std::string>{"alice@example.com", "bob@example.net"}));
  EXPECT_EQ(t.real_names("To"), (std::vector<std::string>{"Alice Example", "Bob"}));
  // ME.ALIAS@example.org is the account's, whatever its case.
  EXPECT_EQ(t.texts("Cc"), std::vector<std::string>{"carol@example.net"});
  EXPECT_EQ(t.field("Subject"), "Re: Lunch plans");
  expect_composes(t);
}

TEST(ReplyTemplate, ForwardPlainText) {
  Template t = make(kPlain, TemplateMode::forward);
  EXPECT_FALSE(t.has("To"));
  EXPECT_FALSE(t.has("Cc"));
  EXPECT_FALSE(t.has("In-Reply-To"));
  EXPECT_EQ(t.field("Subject"), "Fwd: Lunch plans");
  EXPECT_EQ(t.field("References"), "<m2@example.com>");
  EXPECT_EQ(t.field("X-Forwarded-Message-Id"), "<m2@example.com>");
  // The original text unquoted and whole, signature included.
  EXPECT_EQ(t.body(),
            "\n-------- Forwarded Message --------\n"
            "Subject: Lunch plans\n"
            "Date: Thu, 14 Mar 2024 10:15:00 +0100\n"
            "From: Alice Example <alice@example.com>\n"
            "To: Me Myself <me@example.org>, Bob <bob@example.net>\n"
            "Cc: carol@example.net, ME.ALIAS@example.org\n"
            "\n"
            "Hi all,\n\n> Should we meet at noon?\nYes, noon works.\n\n-- \nAlice\n");
  EXPECT_STREQ(t.email.child("MIME").attribute("subtype").value(), "plain");
  EXPECT_TRUE(t.copies().empty());
  expect_composes(t);
}

TEST(ReplyTemplate, ReplyHtmlFromPlainText) {
  Template t = make(kPlain, TemplateMode::reply_from_html);
  EXPECT_STREQ(t.text_part().attribute("subtype").value(), "html");
  EXPECT_EQ(t.body(),
            "<html><body><p><br></p><p>On 2024-03-14 10:15, Alice Example wrote:</p>"
            "<blockquote type=\"cite\" cite=\"mid:m2@example.com\">"
            "Hi all,<br>\n<br>\n&gt; Should we meet at noon?<br>\nYes, noon works."
            "</blockquote></body></html>\n");
  // The HTML is the MIME element's text, not XML children.
  EXPECT_EQ(t.xml.find("<blockquote"), std::string::npos);
  EXPECT_NE(t.xml.find("&lt;blockquote"), std::string::npos);
  EXPECT_FALSE(t.text_part().first_child().next_sibling());
  expect_composes(t);
}

TEST(ReplyTemplate, ReplyAllHtmlUsesTheSameRecipients) {
  Template t = make(kPlain, TemplateMode::reply_all_html);
  EXPECT_EQ(t.texts("To"), (std::vector<std::string>{"alice@example.com", "bob@example.net"}));
  EXPECT_EQ(t.texts("Cc"), std::vector<std::string>{"carol@example.net"});
  EXPECT_STREQ(t.text_part().attribute("subtype").value(), "html");
  expect_composes(t);
}

namespace {

const std::string kAlternative =
    "From: \"Doe, John\" <john@example.com>\n"
    "To: me@example.org\n"
    "Subject: =?UTF-8?B?UmU6IFJFOiBGd2Q6IFLDqXN1bcOp?=\n"
    "Date: Mon, 01 Jul 2024 18:30:00 -0400\n"
    "Message-ID: <alt@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Caf=E9 at 3?\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><head><title>T</title><style>p{color:red}</style><script>alert(1)</script></head>\n"
    "<body onload=\"evil()\"><p onclick=\"x()\">Caf&eacute; at <b>3</b>?</p>"
    "<a href=\" javascript:alert(2)\">link</a><script>alert(3)</script>"
    "<img src=\"cid:logo\" onerror=\"y()\"></body></html>\n"
    "--b1--\n";

}  // namespace

TEST(ReplyTemplate, AlternativeTextReplyQuotesThePlainPart) {
  Template t = make(kAlternative, TemplateMode::reply_from);
  // The RFC 2047 subject is decoded before its prefixes are read.
  EXPECT_EQ(t.field("Subject"), "Re: Fwd: R\xC3\xA9sum\xC3\xA9");
  EXPECT_EQ(t.texts("To"), std::vector<std::string>{"john@example.com"});
  EXPECT_EQ(t.real_names("To"), std::vector<std::string>{"Doe, John"});
  // No References in the original: only its Message-ID. 18:30 -0400 is 00:30 in Berlin (CEST).
  EXPECT_EQ(t.field("References"), "<alt@example.com>");
  EXPECT_EQ(t.body(), "\nOn 2024-07-02 00:30, Doe, John wrote:\n> Caf\xC3\xA9 at 3?\n");
  expect_composes(t);
}

TEST(ReplyTemplate, AlternativeHtmlReplyQuotesTheSanitizedHtmlPart) {
  Template t = make(kAlternative, TemplateMode::reply_from_html);
  EXPECT_EQ(t.body(),
            "<html><body><p><br></p><p>On 2024-07-02 00:30, Doe, John wrote:</p>"
            "<blockquote type=\"cite\" cite=\"mid:alt@example.com\">"
            "<p>Caf&eacute; at <b>3</b>?</p><a>link</a><img src=\"cid:logo\">"
            "</blockquote></body></html>\n");
  expect_composes(t);
}

TEST(ReplyTemplate, AlternativeForwardHtmlShowsTheHeadersAsATable) {
  Template t = make(kAlternative, TemplateMode::forward_html);
  EXPECT_EQ(t.field("Subject"), "Fwd: Re: R\xC3\xA9sum\xC3\xA9");
  std::string body = t.body();
  EXPECT_NE(body.find("-------- Forwarded Message --------"), std::string::npos) << body;
  EXPECT_NE(body.find("<th align=\"right\" valign=\"baseline\" nowrap>From: </th>"
                      "<td>&quot;Doe, John&quot; &lt;john@example.com&gt;</td>"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("Date: </th><td>Tue, 2 Jul 2024 00:30:00 +0200</td>"), std::string::npos) << body;
  EXPECT_NE(body.find("<p>Caf&eacute; at <b>3</b>?</p><a>link</a><img src=\"cid:logo\"></div></body></html>\n"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("script"), std::string::npos) << body;
  EXPECT_EQ(body.find("onclick"), std::string::npos) << body;
  expect_composes(t);
}

TEST(ReplyTemplate, HtmlOnlyOriginalIsQuotedAsText) {
  std::string message =
      "From: html@example.com\nTo: me@example.org\nSubject: News\nDate: Mon, 01 Jan 2024 12:00:00 +0000\n"
      "Message-ID: <html@example.com>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
      "<html><head><style>.x{}</style></head><body><div>Hello&nbsp;&nbsp;there,</div>"
      "<p>First para<br>second line</p><ul><li>one</li><li>two</li></ul>"
      "<blockquote type=\"cite\"><p>older text</p></blockquote><p>Bye &amp; thanks</p>"
      "<script>var a = \"<p>no</p>\";</script></body></html>\n";
  Template t = make(message, TemplateMode::reply_from);
  EXPECT_STREQ(t.text_part().attribute("subtype").value(), "plain");
  EXPECT_EQ(t.body(),
            "\nOn 2024-01-01 13:00, html@example.com wrote:\n"
            "> Hello  there,\n"
            ">\n"
            "> First para\n"
            "> second line\n"
            ">\n"
            "> one\n"
            "> two\n"
            ">\n"
            ">> older text\n"
            ">\n"
            "> Bye & thanks\n");
  expect_composes(t);

  Template forward = make(message, TemplateMode::forward);
  EXPECT_NE(forward.body().find("\n\nHello  there,\n\nFirst para\nsecond line\n"), std::string::npos)
      << forward.body();
  expect_composes(forward);

  Template html = make(message, TemplateMode::reply_all_html);
  EXPECT_NE(html.body().find("<blockquote type=\"cite\" cite=\"mid:html@example.com\"><div>Hello&nbsp;&nbsp;there,</div>"),
            std::string::npos)
      << html.body();
  EXPECT_EQ(html.body().find("<script"), std::string::npos);
  EXPECT_EQ(html.body().find(".x{}"), std::string::npos);
  expect_composes(html);
}

TEST(ReplyTemplate, FlowedOriginalIsUnflowedBeforeQuoting) {
  std::string message =
      "From: flow@example.com\nTo: me@example.org\nSubject: Flowed\nMessage-ID: <flow@example.com>\n"
      "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n"
      "This paragraph was sent \n"
      "as format=flowed and \n"
      "comes back as one line.\n"
      ">Quoted \n"
      ">text here.\n"
      ">>Deeper\n"
      " >stuffed\n"
      "-- \n"
      "Sig\n";
  Template t = make(message, TemplateMode::reply_from);
  // No Date: the attribution names only the sender.
  EXPECT_EQ(t.body(),
            "\nflow@example.com wrote:\n"
            "> This paragraph was sent as format=flowed and comes back as one line.\n"
            ">> Quoted text here.\n"
            ">>> Deeper\n"
            "> >stuffed\n");
  expect_composes(t);

  Template forward = make(message, TemplateMode::forward);
  EXPECT_NE(forward.body().find("\n\nThis paragraph was sent as format=flowed and comes back as one line.\n"
                                "> Quoted text here.\n>> Deeper\n>stuffed\n"),
            std::string::npos)
      << forward.body();
  EXPECT_NE(forward.body().find("\n-- \nSig\n"), std::string::npos) << forward.body();
  expect_composes(forward);
}

TEST(ReplyTemplate, LongQuotedLinesAreWrappedWithTheirQuoteMarks) {
  std::string paragraph;
  for (int i = 0; i < 30; ++i) paragraph += "word" + std::to_string(i) + " ";
  std::string message = "From: a@example.com\nSubject: Long\nContent-Type: text/plain; format=flowed\n\n" +
                        paragraph + "\n>" + paragraph + "\nend\n";
  Template t = make(message, TemplateMode::reply_from);
  std::string body = t.body();
  size_t start = body.find('\n', 1) + 1;  // after the attribution
  std::string rebuilt_first, rebuilt_second;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    std::string line = body.substr(start, end - start);
    EXPECT_LE(line.size(), 78u) << line;
    if (line.starts_with(">> ")) rebuilt_second += line.substr(3) + " ";
    else if (line.starts_with("> ") && line != "> end") rebuilt_first += line.substr(2) + " ";
    start = end + 1;
  }
  EXPECT_EQ(rebuilt_first, paragraph);
  EXPECT_EQ(rebuilt_second, paragraph);
  EXPECT_NE(body.find("\n> end\n"), std::string::npos);
  expect_composes(t);
}

namespace {

const std::string kWithAttachments =
    "From: Alice <alice@example.com>\n"
    "To: me@example.org\n"
    "Subject: Report\n"
    "Date: Fri, 15 Mar 2024 08:00:00 +0000\n"
    "Message-ID: <att@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"m\"\n"
    "\n"
    "--m\n"
    "Content-Type: multipart/alternative; boundary=\"a\"\n"
    "\n"
    "--a\n"
    "Content-Type: text/plain\n"
    "\n"
    "See attached.\n"
    "--a\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>See <i>attached</i>.</p>\n"
    "--a--\n"
    "--m\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQK\n"
    "--m\n"
    "Content-Type: message/rfc822\n"
    "Content-Disposition: attachment\n"
    "\n"
    "From: Dave <dave@example.net>\n"
    "To: alice@example.com\n"
    "Subject: Inner\n"
    "Message-ID: <inner@example.net>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"i\"\n"
    "\n"
    "--i\n"
    "Content-Type: text/plain\n"
    "\n"
    "Inner text\n"
    "--i\n"
    "Content-Type: image/png; name=\"pic.png\"\n"
    "Content-Disposition: attachment; filename=\"pic.png\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0KGgo=\n"
    "--i--\n"
    "\n"
    "--m--\n";

}  // namespace

TEST(ReplyTemplate, ForwardCarriesAttachmentsAndAttachedMessages) {
  Template t = make(kWithAttachments, TemplateMode::forward);
  pugi::xml_node top = t.email.child("MIME");
  EXPECT_STREQ(top.attribute("type").value(), "multipart");
  EXPECT_STREQ(top.attribute("subtype").value(), "mixed");
  EXPECT_STREQ(top.first_child().name(), "MIME");
  EXPECT_STREQ(top.first_child().attribute("subtype").value(), "plain");
  EXPECT_EQ(t.copies(), (std::vector<std::string>{"INBOX 42 02", "INBOX 42 03"}));
  EXPECT_TRUE(t.body().ends_with("\n\nSee attached.\n")) << t.body();
  expect_composes(t, kWithAttachments);
  std::string sent = composed(t, kWithAttachments);
  EXPECT_EQ(top_parts(sent), (std::vector<std::string>{"text/plain", "application/pdf", "message/rfc822"})) << sent;
  EXPECT_NE(sent.find("filename=\"report.pdf\""), std::string::npos) << sent;
  EXPECT_NE(sent.find("Subject: Inner"), std::string::npos) << sent;

  // The partIDs are those folderRead shows for the same parts.
  std::string rendered = mime::render_email_xml(crlf(kWithAttachments), {});
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(rendered.c_str()));
  auto part = [&](const char* id) {
    return doc.find_node([id](pugi::xml_node n) { return std::string_view(n.attribute("partID").value()) == id; });
  };
  EXPECT_STREQ(part("02").attribute("subtype").value(), "pdf");
  EXPECT_STREQ(part("03").attribute("subtype").value(), "rfc822");
  // And the ones copyMIME resolves.
  auto parsed = mime::parse_message(crlf(kWithAttachments));
  ASSERT_TRUE(parsed);
  GMimeObject* pdf = mime::find_part(parsed.get(), "02");
  ASSERT_TRUE(pdf);
  EXPECT_STREQ(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(pdf)), "pdf");
  EXPECT_TRUE(GMIME_IS_MESSAGE_PART(mime::find_part(parsed.get(), "03")));

  Template html = make(kWithAttachments, TemplateMode::forward_html);
  EXPECT_EQ(html.copies(), (std::vector<std::string>{"INBOX 42 02", "INBOX 42 03"}));
  EXPECT_NE(html.body().find("<p>See <i>attached</i>.</p></div>"), std::string::npos) << html.body();
  expect_composes(html, kWithAttachments);
}

TEST(ReplyTemplate, RepliesCarryNoAttachments) {
  for (TemplateMode mode : {TemplateMode::reply_from, TemplateMode::reply_all_html}) {
    Template t = make(kWithAttachments, mode);
    EXPECT_TRUE(t.copies().empty()) << t.xml;
    EXPECT_STREQ(t.email.child("MIME").attribute("type").value(), "text");
    expect_composes(t);
  }
  EXPECT_EQ(make(kWithAttachments, TemplateMode::reply_from).body(),
            "\nOn 2024-03-15 09:00, Alice wrote:\n> See attached.\n");
}

TEST(ReplyTemplate, WithoutAFolderNoCopiesAreWritten) {
  mime::TemplateOptions options = account();
  options.folder.clear();
  Template t = make(kWithAttachments, TemplateMode::forward, options);
  EXPECT_TRUE(t.copies().empty());
  EXPECT_STREQ(t.email.child("MIME").attribute("type").value(), "text");
}

TEST(ReplyTemplate, EnclosedMessageTemplateNamesItsPartsUnderItsPartId) {
  auto outer = mime::parse_message(crlf(kWithAttachments));
  ASSERT_TRUE(outer);
  GMimeObject* attached = g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(outer.get())), 2);
  ASSERT_TRUE(GMIME_IS_MESSAGE_PART(attached));
  GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(attached));
  mime::TemplateOptions options = account();
  options.part_id = "03";
  std::string xml;
  {
    xml::XmlWriter out(xml);
    mime::render_template(out, inner, TemplateMode::forward, options);
  }
  Template t;
  t.xml = xml;
  parse_into(t);
  EXPECT_EQ(t.field("Subject"), "Fwd: Inner");
  EXPECT_EQ(t.field("References"), "<inner@example.net>");
  EXPECT_EQ(t.copies(), std::vector<std::string>{"INBOX 42 03-02"});
  GMimeObject* picture = mime::find_part(outer.get(), "03-02");
  ASSERT_TRUE(picture);
  EXPECT_STREQ(g_mime_part_get_filename(GMIME_PART(picture)), "pic.png");
  EXPECT_NE(t.body().find("From: Dave <dave@example.net>\nTo: alice@example.com\n\nInner text\n"), std::string::npos)
      << t.body();
  expect_composes(t, kWithAttachments);
  std::string sent = composed(t, kWithAttachments);
  EXPECT_EQ(top_parts(sent), (std::vector<std::string>{"text/plain", "image/png"})) << sent;
  EXPECT_NE(sent.find("filename=\"pic.png\""), std::string::npos) << sent;

  Template reply;
  {
    xml::XmlWriter out(reply.xml);
    mime::render_template(out, inner, TemplateMode::reply_all, options);
  }
  parse_into(reply);
  EXPECT_EQ(reply.texts("To"), (std::vector<std::string>{"dave@example.net", "alice@example.com"}));
  EXPECT_EQ(reply.field("In-Reply-To"), "<inner@example.net>");
}

TEST(ReplyTemplate, HtmlKeepsItsInlineImagesAsRelatedParts) {
  std::string message =
      "From: a@example.com\nTo: me@example.org\nSubject: Logo\nMessage-ID: <rel@example.com>\nMIME-Version: 1.0\n"
      "Content-Type: multipart/related; boundary=\"r\"; type=\"multipart/alternative\"\n\n"
      "--r\nContent-Type: multipart/alternative; boundary=\"a\"\n\n"
      "--a\nContent-Type: text/plain\n\nLogo below\n"
      "--a\nContent-Type: text/html\n\n<p>Logo below</p><img src=\"cid:logo@x\">\n"
      "--a--\n"
      "--r\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Disposition: inline\n"
      "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
      "--r--\n";
  Template reply = make(message, TemplateMode::reply_from_html);
  pugi::xml_node top = reply.email.child("MIME");
  EXPECT_STREQ(top.attribute("subtype").value(), "related");
  EXPECT_STREQ(top.first_child().attribute("subtype").value(), "html");
  EXPECT_EQ(reply.copies(), std::vector<std::string>{"INBOX 42 02"});
  EXPECT_NE(reply.body().find("<p>Logo below</p><img src=\"cid:logo@x\"></blockquote>"), std::string::npos);
  expect_composes(reply, message);
  std::string sent = composed(reply, message);
  EXPECT_EQ(top_parts(sent), (std::vector<std::string>{"text/html", "image/png"})) << sent;
  EXPECT_NE(sent.find("Content-ID: <logo@x>"), std::string::npos) << sent;

  // Plain text has no place for the image: it is neither quoted nor forwarded.
  Template text = make(message, TemplateMode::forward);
  EXPECT_TRUE(text.copies().empty());
  EXPECT_TRUE(text.body().ends_with("\n\nLogo below\n")) << text.body();

  Template forward = make(message, TemplateMode::forward_html);
  EXPECT_EQ(forward.copies(), std::vector<std::string>{"INBOX 42 02"});
  EXPECT_STREQ(forward.email.child("MIME").attribute("subtype").value(), "related");
  expect_composes(forward, message);
}

TEST(ReplyTemplate, ReplyToWinsOverFrom) {
  std::string message =
      "From: Alice <alice@example.com>\nReply-To: The List <list@example.org>\nTo: list@example.org\n"
      "Cc: bob@example.net\nSubject: [list] Topic\nMessage-ID: <rt@example.com>\n\nBody\n";
  Template from = make(message, TemplateMode::reply_from);
  EXPECT_EQ(from.texts("To"), std::vector<std::string>{"list@example.org"});
  EXPECT_EQ(from.real_names("To"), std::vector<std::string>{"The List"});
  EXPECT_EQ(from.field("Subject"), "Re: [list] Topic");
  Template all = make(message, TemplateMode::reply_all);
  EXPECT_EQ(all.texts("To"), std::vector<std::string>{"list@example.org"});
  EXPECT_EQ(all.texts("Cc"), std::vector<std::string>{"bob@example.net"});
  expect_composes(all);
}

TEST(ReplyTemplate, MailFollowupToReplacesReplyAllRecipients) {
  std::string message =
      "From: Alice <alice@example.com>\nTo: list@example.org\nCc: me@example.org, bob@example.net\n"
      "Mail-Followup-To: list@example.org, Alice <alice@example.com>, me@example.org\n"
      "Subject: Topic\nMessage-ID: <mft@example.com>\n\nBody\n";
  Template all = make(message, TemplateMode::reply_all);
  EXPECT_EQ(all.texts("To"), (std::vector<std::string>{"list@example.org", "alice@example.com"}));
  EXPECT_FALSE(all.has("Cc"));
  expect_composes(all);
  // replyFrom answers the author only.
  Template from = make(message, TemplateMode::reply_from);
  EXPECT_EQ(from.texts("To"), std::vector<std::string>{"alice@example.com"});
}

TEST(ReplyTemplate, MailReplyToIsThePrivateReplyAddress) {
  std::string message =
      "From: Alice <alice@example.com>\nReply-To: list@example.org\nMail-Reply-To: alice@home.example\n"
      "To: list@example.org\nSubject: Topic\n\nBody\n";
  EXPECT_EQ(make(message, TemplateMode::reply_from).texts("To"), std::vector<std::string>{"alice@home.example"});
}

TEST(ReplyTemplate, ReplyAllWithOnlyCcLeftMovesItToTo) {
  std::string message =
      "From: Bob <bob@example.net>\nReply-To: ME@example.org\nTo: me.alias@EXAMPLE.org\nCc: zed@example.net, "
      "amy@example.net\nSubject: Hi\n\nBody\n";
  Template all = make(message, TemplateMode::reply_all);
  EXPECT_EQ(all.texts("To"), std::vector<std::string>{"zed@example.net"});
  EXPECT_EQ(all.texts("Cc"), std::vector<std::string>{"amy@example.net"});
  expect_composes(all);
}

TEST(ReplyTemplate, ReplyToOwnSentMessageGoesToItsRecipients) {
  std::string message =
      "From: Me Myself <me@example.org>\nTo: Bob <bob@example.net>\nCc: carol@example.net\nSubject: Sent\n\nBody\n";
  Template from = make(message, TemplateMode::reply_from);
  EXPECT_EQ(from.texts("To"), std::vector<std::string>{"bob@example.net"});
  EXPECT_FALSE(from.has("Cc"));
  Template all = make(message, TemplateMode::reply_all);
  EXPECT_EQ(all.texts("To"), std::vector<std::string>{"bob@example.net"});
  EXPECT_EQ(all.texts("Cc"), std::vector<std::string>{"carol@example.net"});
  // A note to oneself is answered to oneself.
  std::string note = "From: me@example.org\nTo: me@example.org\nSubject: Note\n\nBody\n";
  EXPECT_EQ(make(note, TemplateMode::reply_all).texts("To"), std::vector<std::string>{"me@example.org"});
}

TEST(ReplyTemplate, SubjectPrefixesDoNotStack) {
  struct Case {
    const char* subject;
    const char* reply;
    const char* forward;
  };
  for (const Case& c : std::vector<Case>{
           {"Lunch", "Re: Lunch", "Fwd: Lunch"},
           {"Re: Lunch", "Re: Lunch", "Fwd: Re: Lunch"},
           {"Re: RE: Fwd: Plans", "Re: Fwd: Plans", "Fwd: Re: Plans"},
           {"AW: Aw: Termin", "Re: Termin", "Fwd: Re: Termin"},
           {"Re[2]: x", "Re: x", "Fwd: Re: x"},
           {"RE : spaced", "Re: spaced", "Fwd: Re: spaced"},
           {"[Fwd: Photos]", "Re: Fwd: Photos", "Fwd: Photos"},
           {"Fw: FWD: news", "Re: Fwd: news", "Fwd: news"},
           {"Sv: Antw: WG: mixed", "Re: Fwd: mixed", "Fwd: Re: mixed"},
           {"Regarding: x", "Re: Regarding: x", "Fwd: Regarding: x"},
           {"Re: [list] Re: topic", "Re: [list] Re: topic", "Fwd: Re: [list] Re: topic"},
           {"  ", "Re:", "Fwd:"},
       }) {
    EXPECT_EQ(mime::reply_subject(c.subject), c.reply) << c.subject;
    EXPECT_EQ(mime::forward_subject(c.subject), c.forward) << c.subject;
  }
}

TEST(ReplyTemplate, MessageWithoutFrom) {
  std::string message =
      "To: me@example.org\nSubject: Anonymous\nDate: Mon, 01 Jan 2024 12:00:00 +0000\n\nWho sent this?\n";
  for (TemplateMode mode : {TemplateMode::reply_from, TemplateMode::reply_all, TemplateMode::forward,
                            TemplateMode::reply_from_html, TemplateMode::forward_html}) {
    Template t = make(message, mode);
    EXPECT_FALSE(t.has("To")) << t.xml;
    EXPECT_FALSE(t.has("In-Reply-To"));
    EXPECT_FALSE(t.has("References"));
    expect_composes(t);
  }
  EXPECT_EQ(make(message, TemplateMode::reply_from).body(),
            "\nOn 2024-01-01 13:00, an unknown sender wrote:\n> Who sent this?\n");
}

TEST(ReplyTemplate, LongReferencesKeepTheFirstAndTheLatest) {
  std::string references;
  for (int i = 1; i <= 25; ++i) references += " <r" + std::to_string(i) + "@example.com>";
  std::string message =
      "From: a@example.com\nSubject: Thread\nMessage-ID: <r26@example.com>\nReferences:" + references + "\n\nx\n";
  Template t = make(message, TemplateMode::reply_from);
  std::string expected = "<r1@example.com>";
  for (int i = 8; i <= 26; ++i) expected += " <r" + std::to_string(i) + "@example.com>";
  EXPECT_EQ(t.field("References"), expected);
  expect_composes(t);

  // Without References, In-Reply-To stands for the thread.
  Template short_thread = make("From: a@example.com\nMessage-ID: <b@x>\nIn-Reply-To: <a@x>\n\nx\n", TemplateMode::reply_from);
  EXPECT_EQ(short_thread.field("References"), "<a@x> <b@x>");
}

TEST(ReplyTemplate, SingleAttachmentMessageIsForwardedWhole) {
  std::string message =
      "From: scanner@example.com\nSubject: Scan\nMIME-Version: 1.0\nContent-Type: application/pdf\n"
      "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n";
  Template t = make(message, TemplateMode::forward);
  // The top part has no partID: copyMIME without one copies the whole message.
  EXPECT_EQ(t.copies(), std::vector<std::string>{"INBOX 42 "});
  EXPECT_FALSE(t.email.child("MIME").child("copyMIME").attribute("partID"));
  expect_composes(t, message);
  EXPECT_EQ(top_parts(composed(t, message)), (std::vector<std::string>{"text/plain", "message/rfc822"}));
}

TEST(ReplyTemplate, SignedMessageForwardsWithoutItsSignature) {
  std::string message =
      "From: s@example.com\nSubject: Signed\nMIME-Version: 1.0\n"
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"s\"\n\n"
      "--s\nContent-Type: multipart/mixed; boundary=\"m\"\n\n"
      "--m\nContent-Type: text/plain\n\nSigned text\n"
      "--m\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"a.csv\"\n\na,b\n"
      "--m--\n"
      "--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\nAAAA\n"
      "--s--\n";
  Template t = make(message, TemplateMode::forward);
  EXPECT_EQ(t.copies(), std::vector<std::string>{"INBOX 42 01-02"});
  EXPECT_TRUE(t.body().ends_with("\n\nSigned text\n")) << t.body();
  expect_composes(t, message);
  EXPECT_EQ(top_parts(composed(t, message)), (std::vector<std::string>{"text/plain", "text/csv"}));
}

TEST(ReplyTemplate, BrokenInput) {
  std::string xml;
  {
    xml::XmlWriter out(xml);
    EXPECT_THROW(mime::render_template(out, nullptr, TemplateMode::reply_from, account()), Failure);
  }
  // Whatever GMime makes of garbage still gives a template that composes.
  for (std::string garbage : {std::string("\x01\x02 not a message"), std::string(),
                              std::string("Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n")}) {
    Template t;
    try {
      t.xml = mime::render_template_xml(garbage, TemplateMode::forward_html, account());
    } catch (const Failure& failure) {
      EXPECT_EQ(failure.code(), ErrorCode::badRequest);
      continue;
    }
    parse_into(t);
    expect_composes(t);
  }
}

TEST(HtmlText, SanitizingKeepsTheQuoteClosedAndScriptsOut) {
  using mime::sanitized_html_body;
  EXPECT_EQ(sanitized_html_body("<div>a</blockquote></div></div></body>b"), "<div>a</div>b");
  EXPECT_EQ(sanitized_html_body("<p>a<p>b"), "<p>a</p><p>b</p>");
  EXPECT_EQ(sanitized_html_body("<ul><li>a<li>b</ul>"), "<ul><li>a</li><li>b</li></ul>");
  EXPECT_EQ(sanitized_html_body("<a href=\"&#106;avascript:alert(1)\">x</a>"), "<a>x</a>");
  EXPECT_EQ(sanitized_html_body("<a href=\"java\tscript:alert(1)\" title='t'>x</a>"), "<a title=\"t\">x</a>");
  EXPECT_EQ(sanitized_html_body("<a HREF=\"https://example.com/?a=1&amp;b=2\">x</a>"),
            "<a href=\"https://example.com/?a=1&amp;b=2\">x</a>");
  EXPECT_EQ(sanitized_html_body("<b ONCLICK=\"x()\" onmouseover=y class=c>x</b>"), "<b class=\"c\">x</b>");
  EXPECT_EQ(sanitized_html_body("<div style=\"width: expression(alert(1))\">x</div>"), "<div>x</div>");
  EXPECT_EQ(sanitized_html_body("<div style=\"color: red\">x</div>"), "<div style=\"color: red\">x</div>");
  EXPECT_EQ(sanitized_html_body("a<!-- <script>x</script> -->b<svg onload=x()><script>y</script></svg>c"), "abc");
  EXPECT_EQ(sanitized_html_body("<iframe src=x><p>in</p></iframe><object><param>z</object>ok"), "ok");
  EXPECT_EQ(sanitized_html_body("<html><head><title>t</title><meta charset=utf-8></head><body bgcolor=red>"
                                "<form action=x><input name=n></form></body></html>"),
            "<input name=\"n\">");
  EXPECT_EQ(sanitized_html_body("<textarea></blockquote><script></textarea>"), "&lt;/blockquote&gt;&lt;script&gt;");
  EXPECT_EQ(sanitized_html_body("1 < 2 <3"), "1 &lt; 2 &lt;3");
  EXPECT_EQ(sanitized_html_body("<head><style>x</style><body>no head end"), "no head end");
}

TEST(HtmlText, TextAsABrowserShowsIt) {
  auto text = [](std::string_view html) { return mime::lines_as_text(mime::html_to_lines(html), 0); };
  EXPECT_EQ(text("<p>a\n  b</p><p>c</p>"), "a b\n\nc\n");
  EXPECT_EQ(text("<pre>x  y\n  z</pre>after"), "x  y\n  z\n\nafter\n");
  EXPECT_EQ(text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"), "a b\nc\n");
  EXPECT_EQ(text("&lt;tag&gt; &amp;amp; &#x263A; &#8364; &euro; &#150; &bogus; &amp"),
            "<tag> &amp; \xE2\x98\xBA \xE2\x82\xAC \xE2\x82\xAC \xE2\x80\x93 &bogus; &\n");
  EXPECT_EQ(text("<div>a<br><br>b</div>"), "a\n\nb\n");
  EXPECT_EQ(text("<blockquote>q<blockquote>qq</blockquote></blockquote>x"), "> q\n>> qq\nx\n");
}

TEST(QuotedText, NonFlowedQuoteLevels) {
  auto lines = mime::text_lines("a\n> b\n> > c\n>>d\n\n-- \nsig\n", false, false);
  mime::drop_signature(lines);
  EXPECT_EQ(mime::lines_as_text(lines, 1), "> a\n>> b\n>>> c\n>>> d\n");
}

TEST(QuotedText, FlowedDelSpJoinsInsideWords) {
  auto lines = mime::text_lines("Zusam \nmen and  \nmore\nfixed \n>next depth\n", true, true);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "Zusammen and more");
  // A soft break before a change of depth ends the paragraph (RFC 3676 4.5).
  EXPECT_EQ(lines[1].text, "fixed");
  EXPECT_EQ(lines[2].depth, 1);
  EXPECT_EQ(lines[2].text, "next depth");
}
