#include "smtp/smtp_session.hpp"

#include <spdlog/spdlog.h>

#include "base/text.hpp"

namespace ximssd::smtp {

using boost::asio::awaitable;

namespace {
constexpr const char* kServer = "ximssd";
}

SmtpSession::SmtpSession(SmtpContext& ctx, Dialect dialect, std::string peer_ip)
    : ctx_(ctx), dialect_(dialect), peer_ip_(std::move(peer_ip)) {}

const char* SmtpSession::protocol_name() const {
  if (dialect_ == Dialect::lmtp) return tls_ ? "LMTPS" : "LMTP";
  if (!extended_) return "SMTP";
  return tls_ ? "ESMTPS" : "ESMTP";
}

std::string SmtpSession::greeting() const {
  return "220 " + ctx_.host_name + (dialect_ == Dialect::lmtp ? " LMTP " : " ESMTP ") + kServer + " ready\r\n";
}

std::string SmtpSession::timeout_reply() const {
  return "421 4.4.2 " + ctx_.host_name + " closing: no command within " +
         std::to_string(ctx_.settings.timeout.count()) + " seconds\r\n";
}

void SmtpSession::reply(std::string& out, int code, std::string_view enhanced, std::string_view text) const {
  out += std::to_string(code);
  out += ' ';
  // RFC 2034: enhanced codes once the client asked for the extended protocol; a client that
  // said HELO gets the plain form.
  if (!(greeted_ && !extended_) && !enhanced.empty()) {
    out += enhanced;
    out += ' ';
  }
  out += text;
  out += "\r\n";
}

SmtpSession::After SmtpSession::error(std::string& out, int code, std::string_view enhanced, std::string_view text) {
  reply(out, code, enhanced, text);
  if (++bad_in_a_row_ >= ctx_.settings.max_bad_commands) {
    spdlog::warn("{}: closing the connection from {} after {} errors in a row", dialect_ == Dialect::lmtp ? "lmtp" : "smtp",
                 peer_ip_.empty() ? "the local socket" : peer_ip_, bad_in_a_row_);
    reply(out, 421, "4.7.0", ctx_.host_name + " closing: too many errors");
    return After::close;
  }
  return After::nothing;
}

void SmtpSession::reset() {
  mail_from_.reset();
  recipients_.clear();
  decoder_.reset();
}

void SmtpSession::tls_started() {
  tls_ = true;
  greeted_ = extended_ = false;
  helo_.clear();
  reset();
}

SmtpSession::After SmtpSession::line_too_long(std::string& out) {
  return error(out, 500, "5.5.6", "line too long");
}

SmtpSession::After SmtpSession::command(std::string_view line, std::string& out) {
  CommandLine c = split_command(line);
  After after = After::nothing;
  size_t before = out.size();
  try {
    switch (c.verb) {
      case Verb::helo:
      case Verb::ehlo:
      case Verb::lhlo:
        after = hello(c, out);
        break;
      case Verb::mail:
        after = mail(c, out);
        break;
      case Verb::rcpt:
        after = rcpt(c, out);
        break;
      case Verb::data:
        after = data(c, out);
        break;
      case Verb::rset:
        if (!c.argument.empty()) return error(out, 501, "5.5.4", "RSET takes no argument");
        reset();
        reply(out, 250, "2.0.0", "OK");
        break;
      case Verb::noop:
        reply(out, 250, "2.0.0", "OK");
        break;
      case Verb::quit:
        reply(out, 221, "2.0.0", ctx_.host_name + " closing connection");
        return After::close;
      case Verb::vrfy:
        if (c.argument.empty()) return error(out, 501, "5.5.4", "syntax: VRFY <address>");
        reply(out, 252, "2.5.0", "cannot verify the address, but will take a message for it and attempt delivery");
        break;
      case Verb::expn:
        return error(out, 502, "5.5.1", "EXPN is not available (no mailing lists here)");
      case Verb::help:
        out += "214-" + std::string(extended_ || !greeted_ ? "2.0.0 " : "") + kServer + " " +
               (dialect_ == Dialect::lmtp ? "LMTP" : "SMTP") + " commands:\r\n";
        out += std::string("214-    ") + (dialect_ == Dialect::lmtp ? "LHLO" : "EHLO HELO") +
               " MAIL RCPT DATA RSET NOOP QUIT VRFY HELP" + (dialect_ == Dialect::smtp ? " STARTTLS" : "") + "\r\n";
        reply(out, 214, "2.0.0", "end of HELP");
        break;
      case Verb::starttls:
        after = starttls(c, out);
        break;
      case Verb::bdat:
        return error(out, 502, "5.5.1", "BDAT is not available: CHUNKING is not offered, use DATA");
      case Verb::auth:
        return error(out, 502, "5.5.1", "AUTH is not offered: this server only takes mail for its own accounts");
      case Verb::unknown:
        return error(out, 500, "5.5.2", "unrecognized command");
    }
  } catch (const SyntaxError& e) {
    out.resize(before);
    return error(out, e.code(), e.enhanced(), e.what());
  }
  // Only protocol errors count towards the limit (a refused recipient is not one).
  if (out.size() > before && out[before] != '5' && out[before] != '4') bad_in_a_row_ = 0;
  return after;
}

SmtpSession::After SmtpSession::hello(const CommandLine& c, std::string& out) {
  bool lmtp = dialect_ == Dialect::lmtp;
  if (lmtp && c.verb != Verb::lhlo) return error(out, 500, "5.5.1", "this is an LMTP server: say LHLO");
  if (!lmtp && c.verb == Verb::lhlo) return error(out, 500, "5.5.1", "this is an SMTP server: say EHLO or HELO");
  std::string name = trim_whitespace(c.argument);
  if (name.empty() || name.find(" ") != std::string::npos)
    return error(out, 501, "5.5.4", "syntax: " + std::string(c.name) + " <your host name>");
  reset();  // RFC 5321 section 4.1.4: a new greeting ends any transaction
  helo_ = name;
  greeted_ = true;
  extended_ = c.verb != Verb::helo;
  if (!extended_) {
    reply(out, 250, "", ctx_.host_name + " greets " + helo_);
    return After::nothing;
  }
  out += "250-" + ctx_.host_name + " greets " + helo_ + "\r\n";
  out += "250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n";
  out += "250-SIZE " + std::to_string(ctx_.settings.max_message_size) + "\r\n";
  if (!lmtp && ctx_.tls && !tls_) out += "250-STARTTLS\r\n";
  out += "250 DSN\r\n";
  return After::nothing;
}

SmtpSession::After SmtpSession::mail(const CommandLine& c, std::string& out) {
  if (!greeted_)
    return error(out, 503, "5.5.1", dialect_ == Dialect::lmtp ? "say LHLO first" : "say EHLO or HELO first");
  if (mail_from_) return error(out, 503, "5.5.1", "a transaction is already open (RSET to start again)");
  MailFrom from = parse_mail_from(c.argument);
  if (from.size && *from.size > ctx_.settings.max_message_size) {
    reply(out, 552, "5.3.4",
          "message size exceeds the limit of " + std::to_string(ctx_.settings.max_message_size) + " bytes");
    return After::nothing;
  }
  if (!extended_ && (from.size || from.eight_bit || from.ret_full || !from.envid.empty()))
    return error(out, 501, "5.5.4", "parameters need EHLO");
  mail_from_ = std::move(from);
  reply(out, 250, "2.1.0", "sender <" + mail_from_->address + "> OK");
  return After::nothing;
}

SmtpSession::After SmtpSession::rcpt(const CommandLine& c, std::string& out) {
  if (!mail_from_) return error(out, 503, "5.5.1", "MAIL FROM first");
  RcptTo to = parse_rcpt_to(c.argument);
  if (!extended_ && (to.notify_success || !to.notify_failure || to.notify_delay || !to.orcpt.empty()))
    return error(out, 501, "5.5.4", "parameters need EHLO");
  if (recipients_.size() >= ctx_.settings.max_recipients) {
    reply(out, 452, "4.5.3", "too many recipients (at most " + std::to_string(ctx_.settings.max_recipients) + ")");
    return After::nothing;
  }
  std::string address = to.address == "Postmaster" ? "postmaster@" + ctx_.default_domain : to.address;
  delivery::AddressKind kind;
  std::optional<delivery::Outcome> refused;
  try {
    kind = ctx_.delivery.classify(address);
    if (kind == delivery::AddressKind::local_account)
      refused = ctx_.delivery.check_recipient(address, mail_from_->size.value_or(0));
  } catch (const std::exception& e) {
    // The store cannot answer (its database is down): the sender tries again later.
    spdlog::warn("{}: cannot look up <{}>: {}", protocol_name(), address, e.what());
    reply(out, 451, "4.3.0", "cannot look up the recipient now, try again later");
    return After::nothing;
  }
  switch (kind) {
    case delivery::AddressKind::remote:
      reply(out, 550, "5.7.1", "relaying denied: <" + address + "> is not a local address");
      return After::nothing;
    case delivery::AddressKind::unknown_local:
      reply(out, 550, "5.1.1", "<" + address + ">: no such user here");
      return After::nothing;
    case delivery::AddressKind::local_account:
      break;
  }
  if (refused) {
    out += refused->reply_line() + "\r\n";
    return After::nothing;
  }
  recipients_.push_back(delivery::Recipient{address, to.notify_success, to.notify_failure, std::move(to.orcpt)});
  reply(out, 250, "2.1.5", "recipient <" + address + "> OK");
  return After::nothing;
}

SmtpSession::After SmtpSession::data(const CommandLine& c, std::string& out) {
  if (!c.argument.empty()) return error(out, 501, "5.5.4", "DATA takes no argument");
  if (!mail_from_) return error(out, 503, "5.5.1", "MAIL FROM first");
  if (recipients_.empty()) return error(out, 554, "5.5.1", "no valid recipients");
  decoder_.emplace(ctx_.settings.max_message_size);
  reply(out, 354, "", "send the message; end with <CRLF>.<CRLF>");
  return After::data;
}

SmtpSession::After SmtpSession::starttls(const CommandLine& c, std::string& out) {
  if (dialect_ == Dialect::lmtp) return error(out, 502, "5.5.1", "STARTTLS is not offered over LMTP");
  if (!c.argument.empty()) return error(out, 501, "5.5.4", "STARTTLS takes no argument");
  if (tls_) return error(out, 503, "5.5.1", "TLS is already active");
  if (!ctx_.tls) {
    reply(out, 454, "4.7.0", "TLS is not available");
    return After::nothing;
  }
  reply(out, 220, "2.0.0", "ready to start TLS");
  return After::start_tls;
}

awaitable<void> SmtpSession::end_of_data(std::string& out) {
  DataDecoder decoder = std::move(*decoder_);
  decoder_.reset();
  delivery::Envelope envelope{mail_from_->address, std::move(recipients_), mail_from_->envid,
                              mail_from_->ret_full.value_or(false)};
  reset();
  bool lmtp = dialect_ == Dialect::lmtp;
  if (decoder.too_large()) {
    // LMTP answers every recipient, whatever the outcome (RFC 2033 section 4.2).
    for (size_t i = 0, n = lmtp ? envelope.recipients.size() : 1; i < n; ++i)
      reply(out, 552, "5.3.4",
            "message size exceeds the limit of " + std::to_string(ctx_.settings.max_message_size) + " bytes");
    co_return;
  }
  auto message = std::make_shared<const std::string>(decoder.take());
  delivery::Trace trace{helo_, peer_ip_, protocol_name()};
  std::vector<delivery::Outcome> outcomes;
  std::string failure;
  try {
    outcomes = co_await ctx_.delivery.deliver(envelope, message, lmtp ? delivery::Source::lmtp : delivery::Source::smtp,
                                              trace);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty() || outcomes.size() != envelope.recipients.size()) {
    spdlog::error("{}: delivery failed: {}", lmtp ? "lmtp" : "smtp", failure.empty() ? "missing outcomes" : failure);
    outcomes.assign(envelope.recipients.size(), delivery::Outcome::temporary_failure("local delivery failed, try again later"));
  }
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    spdlog::info("{}: <{}> -> <{}> {} bytes: {}", lmtp ? "lmtp" : "smtp", envelope.mail_from,
                 envelope.recipients[i].address, message->size(), o.reply_line());
  }
  if (lmtp) {
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const auto& o = outcomes[i];
      if (o.ok()) reply(out, 250, "2.1.5", "<" + envelope.recipients[i].address + "> delivered");
      else reply(out, o.code, o.enhanced, "<" + envelope.recipients[i].address + "> " + o.text);
    }
    co_return;
  }
  // SMTP has one reply for the whole message. A temporary failure of any recipient makes it a
  // temporary failure for all, so that the sender retries (those already stored may then get
  // a second copy: better than a lost one). When every recipient refused for good, the first
  // refusal is the reply; otherwise the message was accepted.
  const delivery::Outcome* temporary = nullptr;
  size_t refused = 0;
  for (const auto& o : outcomes) {
    if (o.temporary() && !temporary) temporary = &o;
    if (!o.ok() && !o.temporary()) ++refused;
  }
  if (temporary) {
    reply(out, 451, temporary->enhanced, temporary->text);
  } else if (refused == outcomes.size()) {
    reply(out, outcomes.front().code, outcomes.front().enhanced, outcomes.front().text);
  } else {
    reply(out, 250, "2.0.0", "message accepted for delivery");
  }
}

}  // namespace ximssd::smtp
