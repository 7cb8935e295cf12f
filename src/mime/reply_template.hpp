// Templates for a reply to, or a forward of, a stored message (folderRead with mode replyFrom,
// replyAll, forward and their HTML variants; C-messages.md section 1). A template is an EMail
// element in the composition form of section 7: the client edits it and sends it back through
// messageSubmit or messageAppend. The rules are in docs/PROTOCOL.md, "Reply and forward
// templates"; in short:
//  - From is the account. A reply goes to Mail-Reply-To, else Reply-To, else From (the original
//    To when the original came from the account itself); replyAll adds the original To and Cc,
//    or takes Mail-Followup-To instead, without the account's own addresses and duplicates.
//  - Subject "Re: x" / "Fwd: x" without stacking prefixes; replies carry In-Reply-To and
//    References, forwards References and X-Forwarded-Message-Id.
//  - Replies quote the original text ("> ", after an attribution line), without its signature;
//    forwards show it after a "Forwarded Message" header block and carry its attachments as
//    copyMIME elements naming the original's parts.
//  - No Message-ID or Date: the composer adds them when the message is sent.
#pragma once

#include <gmime/gmime.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formats/xml/xml_writer.hpp"

namespace ximssd::mime {

enum class TemplateMode { reply_from, reply_all, forward, reply_from_html, reply_all_html, forward_html };

// The XIMSS names: replyFrom, replyAll, forward, replyFromHTML, replyAllHTML, forwardHTML.
std::optional<TemplateMode> template_mode(std::string_view name);

struct TemplateOptions {
  std::string time_zone;  // the reader's zone, for the dates shown in the text ("" = the server's)
  // The account's addresses, lower case: left out of replyAll's recipients.
  std::vector<std::string> own_addresses;
  // The account, for the template's From.
  std::string from_address, from_real_name;
  // Where the original is stored, for the copyMIME elements of a forward's attachments (and
  // an HTML reply's inline images). Without a folder no copyMIME is written. part_id is the
  // enclosed message's partID when the template is for a message attached to the stored one.
  std::string folder;
  int64_t uid = 0;
  std::string part_id;
};

// Writes the template's <EMail> element. Throws Failure(badRequest) when `original` is null.
void render_template(xml::XmlWriter& out, GMimeMessage* original, TemplateMode mode, const TemplateOptions& options);
// The same for a message's text. Throws Failure(badRequest) when it cannot be parsed at all.
std::string render_template_xml(std::string_view raw_message, TemplateMode mode, const TemplateOptions& options);

// "Re: " / "Fwd: " before a subject, replacing the reply and forward markers it starts with
// (Re, RE, Aw, Sv, Antw; Fwd, Fw, WG; "[Fwd: ...]"; counted forms such as "Re[2]:"): a reply
// keeps one "Fwd: " after its "Re: " when the subject had a forward marker, a forward one
// "Re: " after its "Fwd: " when it had a reply marker.
std::string reply_subject(std::string_view subject);
std::string forward_subject(std::string_view subject);

}  // namespace ximssd::mime
