// The session URLs of the reference's "HTTP access" section, for any session (over TCP,
// WebSocket or HTTP): MIME parts of messages in open Folder Views, the uploaded-file set
// (UPLOAD, DOWNLOAD/$UPLOAD$/id), the account's public vCard (PROFILE). Export and
// CertAndKey.pfx answer with a clear error until contacts and the S/MIME key store exist.
// Everything a URL reaches is looked up in the session's own state (its views, its uploads),
// so no URL can reach another account's data.
#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "formats/xml/xml_writer.hpp"
#include "http/http_context.hpp"
#include "http/session_url.hpp"
#include "mime/form_data.hpp"
#include "mime/vcard_xml.hpp"
#include "mime/part_url.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::http {

namespace {

using boost::asio::awaitable;

// A body with its range applied: 206 with Content-Range for a range, 416 when it cannot be met.
HttpResponse ranged_response(const HttpRequest& request, const RequestTarget& target, std::string data,
                             std::string_view content_type) {
  RangeDecision decision;
  if (auto from = target.param("OffsetFrom")) {
    decision = decide_offsets(*from, target.param("OffsetTill"), data.size());
  } else if (auto it = request.find(beast_http::field::range); it != request.end()) {
    decision = decide_range_header(it->value(), data.size());
  }
  if (decision.kind == RangeDecision::Kind::unsatisfiable) {
    auto response = error_response(request, beast_http::status::range_not_satisfiable, "range not satisfiable");
    response.set(beast_http::field::content_range, "bytes */" + std::to_string(data.size()));
    return response;
  }
  auto status = beast_http::status::ok;
  std::string content_range;
  if (decision.kind == RangeDecision::Kind::partial) {
    status = beast_http::status::partial_content;
    auto [first, last] = decision.range;
    content_range = "bytes " + std::to_string(first) + "-" + std::to_string(last == first ? first : last - 1) + "/" +
                    std::to_string(data.size());
    data = data.substr(first, last - first);
  }
  auto response = make_response(request, status, content_type, std::move(data));
  response.set(beast_http::field::accept_ranges, "bytes");
  if (!content_range.empty()) response.set(beast_http::field::content_range, content_range);
  // Message parts are other people's content: never run it as a page of this origin (where it
  // could read the session's URL and act as the session).
  response.set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'");
  response.set("X-Content-Type-Options", "nosniff");
  return response;
}

HttpResponse not_found(const HttpRequest& request, std::string_view text) {
  return error_response(request, beast_http::status::not_found, text);
}

awaitable<HttpResponse> mime_part(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                  std::shared_ptr<ximss::Session> session, const std::vector<std::string>& rest) {
  std::vector<std::string> locator_segments(rest.begin() + 1, rest.end());
  auto candidates = parse_mime_locators(locator_segments);
  if (candidates.empty()) co_return not_found(request, "not a message part URL");
  std::optional<mime::ServedPart> part;
  bool found_message = false;
  auto& s = *session;
  co_await ximss::run_in_session(session, [&]() -> awaitable<void> {
    for (const auto& locator : candidates) {
      auto view = s.folders.find(locator.folder);
      if (view == s.folders.end()) continue;
      const auto& uids = view->second.uids;
      if (std::find(uids.begin(), uids.end(), locator.uid) == uids.end()) co_return;
      // Rights as they are now, and the message's text off the network threads.
      auto record = ctx.ximss.messages.message(ximss::ops::actor_of(s), view->second, locator.uid);
      found_message = true;
      co_await run_blocking(ctx.ximss.blocking, [&] {
        std::string text = ctx.ximss.messages.message_text(record);
        using Mode = MimeLocator::Mode;
        if (locator.mode == Mode::related)
          part = mime::serve_related(text, locator.part_id, locator.content_id);
        else
          part = mime::serve_part(text, locator.part_id,
                                  locator.mode == Mode::whole_part ? mime::PartView::whole
                                  : locator.mode == Mode::header   ? mime::PartView::header
                                                                   : mime::PartView::body);
        return true;
      });
      co_return;
    }
  });
  if (!found_message) co_return not_found(request, "no such message in the session's open folders");
  if (!part) co_return not_found(request, "no such part in the message");
  co_return ranged_response(request, target, std::move(part->data), part->content_type);
}

void set_content_type(mime::UploadedFile& file, std::string_view content_type) {
  auto media = mime::parse_media_type(content_type);
  file.type = std::move(media.type);
  file.subtype = std::move(media.subtype);
  file.charset = std::move(media.charset);
}

awaitable<HttpResponse> upload(HttpContext& ctx, const HttpRequest& request, std::shared_ptr<ximss::Session> session,
                               const std::vector<std::string>& rest) {
  if (rest.size() != 2 || rest[1].empty()) co_return not_found(request, "UPLOAD needs an uploadID");
  const std::string& upload_id = rest[1];
  mime::UploadedFile file;
  file.file_name = upload_id;
  if (request.method() == beast_http::verb::put) {
    auto type = request.find(beast_http::field::content_type);
    set_content_type(file, type == request.end() ? std::string_view() : std::string_view(type->value()));
    file.data = request.body();
  } else if (request.method() == beast_http::verb::post) {
    auto type = request.find(beast_http::field::content_type);
    auto field = type == request.end() ? std::nullopt : mime::form_field(type->value(), request.body(), "fileData");
    if (!field) co_return error_response(request, beast_http::status::internal_server_error,
                                         "upload failed: the body is not multipart/form-data with a fileData field");
    set_content_type(file, field->content_type);
    if (!field->file_name.empty()) file.file_name = field->file_name;
    file.data = std::move(field->data);
  } else {
    co_return error_response(request, beast_http::status::method_not_allowed, "use PUT or POST");
  }
  bool stored = false;
  auto& s = *session;
  co_await ximss::run_in_session(session, [&]() -> awaitable<void> {
    if (!s.uploads.contains(upload_id) && s.uploads.size() >= ctx.settings.max_uploads_per_session) co_return;
    s.uploads[upload_id] = std::move(file);  // a file with the same uploadID is replaced
    stored = true;
    co_return;
  });
  if (!stored)
    co_return error_response(request, beast_http::status::internal_server_error,
                             "upload failed: the session holds too many uploaded files");
  std::string notice;
  {
    xml::XmlWriter w(notice);
    w.open("newUploaded").attr("uploadID", upload_id).close();
  }
  session->deliver_async(std::move(notice));
  co_return make_response(request, beast_http::status::ok, "text/plain; charset=utf-8", "");
}

awaitable<HttpResponse> download(HttpContext&, const HttpRequest& request, const RequestTarget& target,
                                 std::shared_ptr<ximss::Session> session, const std::vector<std::string>& rest) {
  if (rest.size() != 3 || rest[1] != "$UPLOAD$")
    co_return not_found(request, "no such file: File Storage is not available on this server");
  std::optional<mime::UploadedFile> file;
  auto& s = *session;
  co_await ximss::run_in_session(session, [&]() -> awaitable<void> {
    auto it = s.uploads.find(rest[2]);
    if (it != s.uploads.end()) file = it->second;
    co_return;
  });
  if (!file) co_return not_found(request, "no such uploaded file");
  std::string type = file->type + "/" + file->subtype;
  if (!file->charset.empty()) type += "; charset=" + file->charset;
  co_return ranged_response(request, target, std::move(file->data), type);
}

// The account's public vCard (its name and address), written by the same code as every vCard.
std::string public_card(const store::AccountRecord& account) {
  std::string name = account.real_name.empty() ? account.address() : account.real_name;
  pugi::xml_document doc;
  auto card = doc.append_child("vCard");
  card.append_child("FN").text().set(name.c_str());
  card.append_child("N").append_child("FAMILY").text().set(name.c_str());
  auto email = card.append_child("EMAIL");
  email.append_child("INTERNET");
  email.append_child("USERID").text().set(account.address().c_str());
  return mime::card_text(card);
}

// PROFILE/[property[/index]]: the whole card, or the `index`th value of one property.
HttpResponse profile(const HttpRequest& request, const ximss::Session& session, const std::vector<std::string>& rest) {
  std::string card = public_card(session.account());
  std::string property = rest.size() > 1 ? rest[1] : "";
  if (property.empty()) return make_response(request, beast_http::status::ok, "text/vcard; charset=utf-8", card);
  size_t index = 0;
  if (rest.size() > 2 && !rest[2].empty()) {
    auto n = parse_decimal(rest[2]);
    // PROFILE/PHOTO/avatar: a file name where the index may stand.
    if (n && *n >= 0) index = static_cast<size_t>(*n);
  }
  // Content lines, unfolded: NAME[;params]:value.
  std::string unfolded;
  for (size_t i = 0; i < card.size(); ++i) {
    if (card.compare(i, 3, "\r\n ") == 0) i += 2;
    else unfolded += card[i];
  }
  std::string_view lines = unfolded;
  while (!lines.empty()) {
    size_t end = lines.find("\r\n");
    std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !iequals(line.substr(0, std::min(colon, line.find(';'))), property)) continue;
    if (index-- == 0)
      return make_response(request, beast_http::status::ok, "text/plain; charset=utf-8", std::string(line.substr(colon + 1)));
  }
  return not_found(request, "the public profile has no such value");
}

}  // namespace

awaitable<HttpResponse> handle_session_url(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                           std::shared_ptr<ximss::Session> session,
                                           const std::vector<std::string>& rest) {
  const std::string& kind = rest.front();
  if (kind == "UPLOAD") co_return co_await upload(ctx, request, std::move(session), rest);
  if (request.method() != beast_http::verb::get && request.method() != beast_http::verb::head)
    co_return error_response(request, beast_http::status::method_not_allowed, "use GET");
  if (kind == "MIME") co_return co_await mime_part(ctx, request, target, std::move(session), rest);
  if (kind == "DOWNLOAD") co_return co_await download(ctx, request, target, std::move(session), rest);
  if (kind == "PROFILE") co_return profile(request, *session, rest);
  if (kind == "Export")
    co_return not_found(request, "Export needs contacts and calendars, which this server does not have yet");
  if (kind == "CertAndKey.pfx")
    co_return not_found(request, "no S/MIME private key is stored for this account");
  co_return not_found(request, "no such session URL");
}

}  // namespace ximssd::http
