#include "delivery/local_delivery.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

#include "base/error.hpp"
#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "delivery/outgoing_messages.hpp"
#include "mail/message_flags.hpp"

namespace ximssd::delivery {

using boost::asio::awaitable;

namespace {

// A value the client chose (its HELO name) as it may appear in a header field: printable
// ASCII only, and short.
std::string header_safe(std::string_view text, size_t limit = 200) {
  std::string out;
  for (char c : text.substr(0, limit))
    out += (c > 32 && c < 127 && c != '(' && c != ')' && c != ';') ? c : '_';
  return out;
}

bool contains_name(const std::vector<std::string>& names, std::string_view name) {
  for (const auto& n : names)
    if (n == name || (iequals(n, "INBOX") && iequals(name, "INBOX"))) return true;
  return false;
}

std::vector<Recipient> recipients_of(const std::vector<std::string>& addresses) {
  std::vector<Recipient> out;
  for (const auto& a : addresses) out.push_back(Recipient{a, false, true, {}});
  return out;
}

}  // namespace

LocalDelivery::LocalDelivery(mail::AccountService& accounts, mail::MailboxService& mailboxes,
                             mail::MessageIngest& ingest, mail::QuotaService& quota,
                             boost::asio::thread_pool& blocking, std::string host_name)
    : accounts_(accounts),
      mailboxes_(mailboxes),
      ingest_(ingest),
      quota_(quota),
      blocking_(blocking),
      host_(std::move(host_name)) {}

std::optional<mail::AccountRecord> LocalDelivery::find_account(std::string_view address) {
  auto [local, domain] = split_address(address);
  if (local.empty() || domain.empty()) return std::nullopt;
  // Account and domain names are stored in lower case; the local part is compared the same
  // way (RFC 5321 allows a server to treat local parts case-insensitively).
  return accounts_.find_account(ascii_lower(local), ascii_lower(domain));
}

AddressKind LocalDelivery::classify(std::string_view address) {
  auto [local, domain] = split_address(address);
  if (domain.empty() || !accounts_.find_domain(ascii_lower(domain))) return AddressKind::remote;
  return find_account(address) ? AddressKind::local_account : AddressKind::unknown_local;
}

std::optional<Outcome> LocalDelivery::check_recipient(std::string_view address, uint64_t size) {
  auto account = find_account(address);
  if (!account) return Outcome::permanent_failure("no such user here", "5.1.1");
  return quota_refusal(*account, size);
}

std::optional<Outcome> LocalDelivery::quota_refusal(const mail::AccountRecord& account, uint64_t size) {
  try {
    quota_.check(account.id, size);
  } catch (const Failure& f) {
    if (f.code() != ErrorCode::limitExceeded) throw;
    // Temporary: the owner may free space, and the sender's retry then succeeds.
    return Outcome{452, "4.2.2", "mailbox full: " + std::string(f.what())};
  }
  return std::nullopt;
}

awaitable<std::vector<Outcome>> LocalDelivery::deliver(const Envelope& envelope,
                                                       std::shared_ptr<const std::string> message, Source source) {
  Trace trace;
  trace.protocol = source == Source::lmtp ? "LMTP" : source == Source::smtp ? "ESMTP" : "local";
  auto outcomes = co_await deliver(envelope, std::move(message), source, trace);
  co_return outcomes;
}

awaitable<std::vector<Outcome>> LocalDelivery::deliver(const Envelope& envelope,
                                                       std::shared_ptr<const std::string> message, Source source,
                                                       const Trace& trace) {
  std::vector<Outcome> outcomes;
  outcomes.reserve(envelope.recipients.size());
  for (const auto& recipient : envelope.recipients) {
    Outcome outcome = co_await deliver_one(envelope, recipient, *message, source, trace);
    outcomes.push_back(std::move(outcome));
  }
  co_return outcomes;
}

awaitable<Outcome> LocalDelivery::deliver_one(const Envelope& envelope, const Recipient& recipient,
                                              const std::string& message, Source source, const Trace& trace) {
  auto account = find_account(recipient.address);
  if (!account) co_return Outcome::permanent_failure("no such user here", "5.1.1");
  // The account is already found: only the quota remains to check.
  if (auto refused = quota_refusal(*account, message.size())) co_return *refused;

  RuleOutcome outcome;
  bool rules_ok = true;
  if (rules_) {
    RuleInput input{*account, recipient.address, envelope, message, source};
    try {
      co_await run_blocking(blocking_, [&] {
        outcome = rules_->evaluate(input);
        return true;
      });
    } catch (const std::exception& e) {
      spdlog::error("delivery: the rules of {} could not be evaluated: {}", account->address(), e.what());
      rules_ok = false;
    }
  }
  if (!rules_ok) co_return Outcome::temporary_failure("the recipient's rules are unavailable, try again later");
  if (!outcome.matched.empty()) {
    std::string names;
    for (const auto& n : outcome.matched) names += (names.empty() ? "" : ", ") + n;
    spdlog::info("delivery: rules matched for {}: {}", account->address(), names);
  }
  if (outcome.reject) co_return Outcome::permanent_failure(*outcome.reject, "5.7.1");

  std::vector<std::string> targets;
  if (!outcome.discard) targets.emplace_back("INBOX");
  for (const auto& name : outcome.store_in)
    if (!contains_name(targets, name)) targets.push_back(name);

  uint32_t flags = 0;
  std::string keywords;
  for (const auto& name : outcome.flags) {
    if (auto bit = mail::flag_bit(name)) {
      flags |= *bit;
    } else if (!name.empty()) {
      if (!keywords.empty()) keywords += ' ';
      keywords += name;
    }
  }

  const std::string& content = outcome.message ? *outcome.message : message;
  if (!targets.empty()) {
    std::string error;
    std::string bytes = trace_fields(envelope, recipient.address, trace) + content;
    try {
      co_await store(*account, targets, std::move(bytes), flags, std::move(keywords));
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      spdlog::error("delivery: storing a message for {} failed: {}", account->address(), error);
      co_return Outcome::temporary_failure("the message could not be stored, try again later");
    }
  }
  co_await send_copies(*account, outcome, content);
  co_return Outcome::delivered();
}

awaitable<void> LocalDelivery::store(const mail::AccountRecord& account, const std::vector<std::string>& mailboxes,
                                     std::string bytes, uint32_t flags, std::string keywords) {
  mail::Actor actor{account.id, mail::Identity{account.name, account.domain}};
  size_t stored = 0;
  std::string first_error;
  for (const auto& name : mailboxes) {
    std::string error;
    try {
      if (!mailboxes_.resolve(actor, name).record) {
        try {
          co_await mailboxes_.create(actor, name, "");
        } catch (const Failure& f) {
          // Another delivery created it meanwhile: append to it.
          if (f.code() != ErrorCode::alreadyExists) throw;
        }
      }
      // A named local, moved in: GCC 12 mis-copies class temporaries built inside co_await.
      mail::IncomingMessage incoming;
      incoming.bytes = bytes;
      incoming.flags = flags;
      incoming.keywords = keywords;
      co_await ingest_.append(actor, name, std::move(incoming));
      ++stored;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) {
      // A "Store in" mailbox that cannot hold the message does not stop the other copies.
      spdlog::warn("delivery: {} could not store into {}: {}", account.address(), name, error);
      if (first_error.empty()) first_error = error;
    }
  }
  if (stored == 0 && !first_error.empty()) throw Failure(ErrorCode::internal, first_error);
}

awaitable<void> LocalDelivery::send_copies(const mail::AccountRecord& account, const RuleOutcome& outcome,
                                           const std::string& message) {
  MakeOptions options{host_, now_epoch_seconds()};
  MessageAuthor by{account.address(), account.real_name};
  // Each envelope and message is a named local moved in (GCC 12 and temporaries in co_await).
  if (!outcome.mirror_to.empty()) {
    Envelope envelope{account.address(), recipients_of(outcome.mirror_to), {}, false};
    std::string copy = message;
    co_await submit("mirror", std::move(envelope), std::move(copy));
  }
  if (!outcome.redirect_to.empty()) {
    Envelope envelope{account.address(), recipients_of(outcome.redirect_to), {}, false};
    std::string copy = redirect_message(message, by, outcome.redirect_to, options);
    co_await submit("redirect", std::move(envelope), std::move(copy));
  }
  if (!outcome.forward_to.empty()) {
    Envelope envelope{account.address(), recipients_of(outcome.forward_to), {}, false};
    std::string copy = forward_message(message, by, outcome.forward_to, options);
    co_await submit("forward", std::move(envelope), std::move(copy));
  }
  if (outcome.reply && !outcome.reply->to.empty()) {
    // Automatic replies go out with the null sender, so that nothing answers them (RFC 3834).
    Envelope envelope{"", recipients_of(outcome.reply->to), {}, false};
    std::string copy = auto_reply(message, by, outcome.reply->to, outcome.reply->text, options);
    co_await submit("automatic reply", std::move(envelope), std::move(copy));
  }
}

awaitable<void> LocalDelivery::submit(const char* what, Envelope envelope, std::string message) {
  std::string to;
  for (const auto& r : envelope.recipients) to += (to.empty() ? "" : ", ") + r.address;
  if (!submitter_) {
    spdlog::warn("delivery: no outbound queue; the {} to {} is not sent", what, to);
    co_return;
  }
  std::string error;
  try {
    std::string id = co_await submitter_->submit(std::move(envelope), std::move(message), Source::generated);
    spdlog::info("delivery: {} to {} queued as {}", what, to, id);
  } catch (const std::exception& e) {
    error = e.what();
  }
  // The message is stored already: a copy that cannot be queued is logged, not a failure.
  if (!error.empty()) spdlog::error("delivery: the {} to {} could not be queued: {}", what, to, error);
}

std::string LocalDelivery::trace_fields(const Envelope& envelope, std::string_view recipient,
                                        const Trace& trace) const {
  std::string out = "Return-Path: <" + envelope.mail_from + ">\r\n";
  out += "Delivered-To: " + std::string(recipient) + "\r\n";
  out += "Received: ";
  if (!trace.helo.empty() || !trace.peer_ip.empty()) {
    out += "from " + (trace.helo.empty() ? std::string("unknown") : header_safe(trace.helo));
    out += trace.peer_ip.empty() ? std::string(" (local socket)") : " ([" + header_safe(trace.peer_ip, 64) + "])";
    out += "\r\n\t";
  }
  out += "by " + host_ + " (ximssd) with " + (trace.protocol.empty() ? std::string("local") : trace.protocol);
  out += "\r\n\tfor <" + std::string(recipient) + ">; " + format_rfc5322_date(now_epoch_seconds()) + "\r\n";
  return out;
}

}  // namespace ximssd::delivery
