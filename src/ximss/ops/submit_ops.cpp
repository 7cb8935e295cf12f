// Sending mail: messageSubmit (compose, queue, and keep a copy), and later the operations that
// send a stored message on (messageRedirect, messageForward, messageConfirm). Everything goes
// through the outbound queue (delivery::MessageSubmitter), which has the message on disk before
// the response says it was taken.
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <set>

#include "base/text.hpp"
#include "base/time_format.hpp"
#include "delivery/outgoing_messages.hpp"
#include "delivery/queue/mdn.hpp"
#include "delivery/queue/report_text.hpp"
#include "mail/message_flags.hpp"
#include "mime/compose.hpp"
#include "mime/embedded_message.hpp"
#include "mime/viewer_fields.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

delivery::MessageSubmitter& submitter(Request& r) {
  if (!r.ctx.submitter) throw Failure(ErrorCode::unavailable, "mail sending is not configured on this server");
  return *r.ctx.submitter;
}

// An address as a client writes it in an element: "a@b", "<a@b>", "Name <a@b>"; anything after
// the address (the reference's "a1@domain address") is ignored.
std::string element_address(std::string_view text) {
  std::string value = trim_whitespace(text);
  if (value.find('<') != std::string::npos) return delivery::first_address(value);
  return value.substr(0, value.find_first_of(" \t\r\n"));
}

void check_address(const std::string& address) {
  auto [local, domain] = split_address(address);
  if (local.empty() || domain.empty() || address.find_first_of(" \t\r\n<>\"") != std::string::npos)
    throw Failure(ErrorCode::badRequest, "not an e-mail address: " + address);
}

// Adds `address` unless it is already there (addresses compare case-insensitively).
void add_recipient(std::vector<std::string>& list, std::set<std::string>& seen, std::string address) {
  check_address(address);
  if (seen.insert(ascii_lower(address)).second) list.push_back(std::move(address));
}

// The envelope recipients: the Envelope-To elements, else the message's To, Cc and Bcc.
std::vector<std::string> submit_recipients(Request& r, std::string_view composed) {
  std::vector<std::string> list;
  std::set<std::string> seen;
  for (auto node : r.element.children("Envelope-To")) {
    std::string address = element_address(node.text().get());
    if (address.empty()) throw Failure(ErrorCode::badRequest, "an empty Envelope-To");
    add_recipient(list, seen, std::move(address));
  }
  if (!list.empty()) return list;
  std::string_view header = delivery::header_of(composed);
  for (const char* field : {"To", "Cc", "Bcc"}) {
    auto value = delivery::header_field(header, field);
    if (!value) continue;
    for (auto& entry : mime::address_entries(*value))
      if (!entry.address.empty()) add_recipient(list, seen, entry.address);
  }
  if (list.empty()) throw Failure(ErrorCode::badRequest, "the message has no recipients (To, Cc, Bcc or Envelope-To)");
  return list;
}

// A copy of the message into `targetMailbox`, as messageAppend stores one (flags, internalDate,
// mailboxClass).
struct CopyTarget {
  std::string mailbox;
  mail::IncomingMessage message;
};

std::optional<CopyTarget> copy_target(Request& r) {
  if (!r.has_attr("targetMailbox")) return std::nullopt;
  CopyTarget target;
  target.mailbox = r.required("targetMailbox");
  target.message.flags = mail::parse_flag_list(r.attr("flags"));
  if (r.has_attr("internalDate")) {
    auto when = parse_ximss_time(r.attr("internalDate"));
    if (!when) throw Failure(ErrorCode::badRequest, "internalDate is not a time stamp (YYYYMMDDTHHMMSS)");
    target.message.internal_date = when->time_since_epoch().count();
  }
  return target;
}

awaitable<void> message_submit(Request& r) {
  auto& queue = submitter(r);
  pugi::xml_node email = r.element.child("EMail");
  if (!email) throw Failure(ErrorCode::badRequest, "messageSubmit needs an EMail element");
  auto actor = ops::actor_of(r);
  auto copy = copy_target(r);

  // One composition: the stored copy keeps Bcc (as a client's Sent copy does, so the sender sees
  // whom it went to); the transmitted one is the same text without it.
  auto options = ops::compose_options(r);
  options.keep_bcc = true;
  std::string composed = mime::compose_message(email, options);
  std::vector<std::string> recipients = submit_recipients(r, composed);
  std::string transmitted = delivery::remove_header_field(composed, "Bcc");

  // The copy's mailbox must be there (or be made) before anything is sent, so that a wrong name
  // is an error without a message gone out.
  if (copy) {
    if (r.has_attr("mailboxClass")) {
      if (!r.ctx.mailboxes.resolve(actor, copy->mailbox).record)
        co_await r.ctx.mailboxes.create(actor, copy->mailbox, std::string(r.attr("mailboxClass")));
    } else if (!r.ctx.mailboxes.resolve(actor, copy->mailbox).record) {
      throw Failure(ErrorCode::notFound, "no mailbox " + copy->mailbox);
    }
  }

  delivery::Envelope envelope;
  envelope.mail_from = r.session().account().address();
  bool dsn = is_yes(r.attr("useDSN"));
  for (auto& address : recipients) envelope.recipients.push_back(delivery::Recipient{address, dsn, true, {}});
  std::string id = co_await queue.submit(std::move(envelope), std::move(transmitted), delivery::Source::authenticated);
  spdlog::info("ximss: {} submitted {} for {} recipients", r.session().account().address(), id, recipients.size());

  if (copy) {
    copy->message.bytes = std::move(composed);
    co_await r.ctx.ingest.append(actor, copy->mailbox, std::move(copy->message), std::nullopt);
  }
}

// The stored message a request names (folder, UID, and an optional partID of an enclosed
// message), as text.
std::string stored_message(Request& r, const mail::FolderView& view, int64_t uid) {
  std::string text = r.ctx.messages.message_text(r.ctx.messages.message(ops::actor_of(r), view, uid));
  if (!r.has_attr("partID")) return text;
  std::string part(r.attr("partID"));
  auto inner = mime::embedded_message(text, part);
  if (!inner) throw Failure(ErrorCode::notFound, "part " + part + " of message " + std::to_string(uid) + " is not a message");
  return std::move(*inner);
}

// The To elements of messageRedirect and messageForward.
std::vector<std::string> to_elements(Request& r) {
  std::vector<std::string> list;
  std::set<std::string> seen;
  for (auto node : r.element.children("To")) {
    std::string address = element_address(node.text().get());
    if (address.empty()) throw Failure(ErrorCode::badRequest, "an empty To element");
    add_recipient(list, seen, std::move(address));
  }
  if (list.empty()) throw Failure(ErrorCode::badRequest, std::string(r.name()) + " needs at least one To element");
  return list;
}

delivery::MessageAuthor author(Request& r) {
  const auto& account = r.session().account();
  return delivery::MessageAuthor{account.address(), account.real_name};
}

delivery::MakeOptions make_options(Request& r) { return delivery::MakeOptions{r.ctx.host_name, now_epoch_seconds()}; }

// Sends `message` from the session's account to `recipients`, then (markRedirected) flags the
// original Redirected. markRedirected defaults to yes for a whole message, no for a part.
awaitable<void> send_on(Request& r, mail::FolderView& view, int64_t uid, std::vector<std::string> recipients,
                        std::string message) {
  auto& queue = submitter(r);
  delivery::Envelope envelope;
  envelope.mail_from = r.session().account().address();
  for (auto& address : recipients) envelope.recipients.push_back(delivery::Recipient{address, false, true, {}});
  std::string id = co_await queue.submit(std::move(envelope), std::move(message), delivery::Source::authenticated);
  spdlog::info("ximss: {} {} message {} as {}", r.session().account().address(), r.name(), uid, id);
  bool mark = r.has_attr("markRedirected") ? is_yes(r.attr("markRedirected")) : !r.has_attr("partID");
  // (A named vector: GCC 12 rejects a braced list in a co_await's arguments.)
  std::vector<int64_t> uids(1, uid);
  if (mark) co_await r.ctx.messages.mark(ops::actor_of(r), view, std::move(uids), mail::kRedirected, 0);
}

awaitable<void> message_redirect(Request& r) {
  submitter(r);
  auto& view = ops::folder_view(r);
  int64_t uid = ops::number_attr(r, "UID");
  auto recipients = to_elements(r);
  std::string original = stored_message(r, view, uid);
  // Mirrored: the bytes as they are. Otherwise the Resent-* fields of RFC 5322 section 3.6.6 say
  // who sent it on, and to whom; To and Cc stay the original's.
  std::string message = is_yes(r.attr("mirror")) ? std::move(original)
                                                 : delivery::redirect_message(original, author(r), recipients, make_options(r));
  co_await send_on(r, view, uid, std::move(recipients), std::move(message));
}

awaitable<void> message_forward(Request& r) {
  submitter(r);
  auto& view = ops::folder_view(r);
  int64_t uid = ops::number_attr(r, "UID");
  if (r.has_attr("mirror")) throw Failure(ErrorCode::badRequest, "messageForward has no mirror (messageRedirect has)");
  auto recipients = to_elements(r);
  std::string original = stored_message(r, view, uid);
  std::string message = delivery::forward_message(original, author(r), recipients, make_options(r));
  co_await send_on(r, view, uid, std::move(recipients), std::move(message));
}

awaitable<void> message_confirm(Request& r) {
  auto& queue = submitter(r);
  auto& view = ops::folder_view(r);
  int64_t uid = ops::number_attr(r, "UID");
  std::string_view type = r.required("type");
  if (type != "auto" && type != "manual") throw Failure(ErrorCode::badRequest, "type must be auto or manual");
  auto actor = ops::actor_of(r);
  auto record = r.ctx.messages.message(actor, view, uid);
  if (record.flags & mail::kMdnSent)
    throw Failure(ErrorCode::alreadyExists, "a disposition notification was already sent for message " + std::to_string(uid));
  std::string original = r.ctx.messages.message_text(record);
  auto to = delivery::disposition_notification_to(original);
  if (!to) throw Failure(ErrorCode::notFound, "message " + std::to_string(uid) + " asks for no disposition notification (no Disposition-Notification-To)");
  const auto& account = r.session().account();
  delivery::MdnInput input{r.ctx.host_name, account.address(), account.real_name, type == "auto", now_epoch_seconds()};
  // RFC 8098 section 3: an MDN goes with the null reverse-path, so that nothing answers it.
  delivery::Envelope envelope;
  envelope.recipients.push_back(delivery::Recipient{*to, false, false, {}});
  std::string id = co_await queue.submit(std::move(envelope), delivery::build_mdn(input, original, *to),
                                         delivery::Source::authenticated);
  spdlog::info("ximss: {} confirmed message {} to <{}> as {}", account.address(), uid, *to, id);
  std::vector<int64_t> uids(1, uid);
  co_await r.ctx.messages.mark(actor, view, std::move(uids), mail::kMdnSent, 0);
}

const Operation kOperations[] = {
    {"messageSubmit", message_submit, Access::in_session},
    {"messageRedirect", message_redirect, Access::in_session},
    {"messageForward", message_forward, Access::in_session},
    {"messageConfirm", message_confirm, Access::in_session},
};

}  // namespace

std::span<const Operation> submit_operations() { return kOperations; }

}  // namespace ximssd::ximss
