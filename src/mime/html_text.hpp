// Internal to the mime library: the HTML handling reply and forward templates need. The text a
// reader of an HTML body sees (for quoting it in plain text), and a body made safe to quote
// inside another message's HTML. A tokenizer that follows HTML5 where these two uses need it
// (raw-text elements, comments, attribute quoting, character references), not a full parser.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/quoted_text.hpp"

namespace ximssd::mime {

// The visible text as lines: tags dropped; <head>, <script>, <style> and similar left out;
// character references decoded; whitespace collapsed as a browser does (except in <pre>);
// <br> and block elements (<p>, <div>, <li>, <tr>, headings...) end lines, paragraphs with a
// blank line; <blockquote> content one quote level deeper.
std::vector<TextLine> html_to_lines(std::string_view html);

// What is inside <body> (the whole document when there is no <body>), with <script>, <style>,
// <head>, frames and plug-in elements removed, event-handler attributes (on*) and javascript:
// or vbscript: URLs dropped, and every element it opens closed at its end, so that it cannot
// close an element around it.
std::string sanitized_html_body(std::string_view html);

// `text` with &, <, > and " escaped.
std::string escape_html(std::string_view text);

// `text` with its character references (&amp;, &#233;, &#x263A;, &eacute;...) decoded.
std::string decode_html_entities(std::string_view text);

}  // namespace ximssd::mime
