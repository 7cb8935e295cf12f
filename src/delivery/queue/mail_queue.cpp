#include "delivery/queue/mail_queue.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/error.hpp"
#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "delivery/mx_resolver.hpp"
#include "delivery/queue/dsn.hpp"
#include "delivery/smtp_client.hpp"

namespace ximssd::delivery {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t now_s() { return now_ms() / 1000; }

std::string domain_of(std::string_view address) { return ascii_lower(split_address(address).second); }

// An envelope address goes into "MAIL FROM:<...>" and file lines: nothing that could break out.
bool acceptable_address(std::string_view address, bool may_be_empty) {
  if (address.empty()) return may_be_empty;
  if (address.size() > 320) return false;
  for (unsigned char c : address)
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>') return false;
  return address.find('@') != std::string_view::npos;
}

}  // namespace

MailQueue::MailQueue(asio::io_context& io, asio::thread_pool& blocking, MailQueueOptions options,
                     LocalDeliverer* local)
    : blocking_(blocking),
      options_(std::move(options)),
      local_(local),
      files_(options_.dir),
      tls_(make_smtp_client_tls()),
      strand_(asio::make_strand(io)),
      timer_(strand_) {}

MailQueue::~MailQueue() = default;

void MailQueue::start() {
  auto loaded = files_.load_all();
  for (auto& entry : loaded) {
    auto item = std::make_shared<Item>();
    item->entry = std::move(entry);
    entries_.emplace(item->entry.id, std::move(item));
  }
  if (!entries_.empty()) spdlog::info("queue: {} messages waiting in {}", entries_.size(), files_.dir().string());
  asio::co_spawn(strand_, run(), asio::detached);
}

void MailQueue::wake() { timer_.cancel(); }

awaitable<std::string> MailQueue::submit(Envelope envelope, std::string message, Source source) {
  if (envelope.recipients.empty()) throw Failure(ErrorCode::badRequest, "a message needs at least one recipient");
  if (!acceptable_address(envelope.mail_from, true))
    throw Failure(ErrorCode::badRequest, "not a valid sender address: " + envelope.mail_from);
  for (const auto& r : envelope.recipients)
    if (!acceptable_address(r.address, false))
      throw Failure(ErrorCode::badRequest, "not a valid recipient address: " + r.address);

  auto item = std::make_shared<Item>();
  QueueEntry& e = item->entry;
  e.created = now_s();
  e.id = new_queue_id(e.created);
  e.mail_from = std::move(envelope.mail_from);
  e.envid = std::move(envelope.envid);
  e.return_full = envelope.return_full;
  e.source = source;
  e.size = message.size();
  e.next_attempt_ms = 0;  // at once
  for (auto& r : envelope.recipients) e.recipients.push_back(RecipientState{std::move(r)});

  std::string error;
  co_await run_blocking(blocking_, [&] {
    try {
      files_.create(e, message);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    return true;
  });
  if (!error.empty()) {
    spdlog::error("queue: cannot queue a message: {}", error);
    throw Failure(ErrorCode::internal, "the message could not be queued");
  }
  std::string id = e.id;
  spdlog::info("queue: {} queued from <{}> for {} recipients ({} bytes, {})", id, e.mail_from, e.recipients.size(),
               e.size, source_name(source));
  asio::post(strand_, [this, item] {
    entries_.emplace(item->entry.id, item);
    wake();
  });
  co_return id;
}

awaitable<void> MailQueue::run() {
  for (;;) {
    int64_t now = now_ms();
    int64_t next = INT64_MAX;
    for (auto& [id, item] : entries_) {
      if (item->busy) continue;
      if (item->entry.next_attempt_ms > now) {
        next = std::min(next, item->entry.next_attempt_ms);
        continue;
      }
      if (active_ >= std::max(1u, options_.settings.concurrency)) break;  // an ending attempt wakes us
      item->busy = true;
      ++active_;
      asio::co_spawn(strand_, attempt(item), asio::detached);
    }
    if (next == INT64_MAX) timer_.expires_after(std::chrono::hours(1));
    else timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(next - now, 1)));
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void MailQueue::record(QueueEntry& entry, size_t index, const Outcome& outcome, const std::string& remote_mta,
                       bool local) {
  RecipientState& r = entry.recipients[index];
  r.attempted = true;
  r.last = outcome;
  r.local = local;
  r.remote_mta = remote_mta;
  if (outcome.ok()) r.status = RecipientStatus::delivered;
  else if (!outcome.temporary()) r.status = RecipientStatus::failed;
  if (r.status != RecipientStatus::pending) r.finished = now_s();
  spdlog::info("queue: {} to <{}>{}: {}", entry.id, r.recipient.address, remote_mta.empty() ? "" : " via " + remote_mta,
               outcome.reply_line());
}

void MailQueue::schedule_retry(QueueEntry& entry) {
  const auto& s = options_.settings;
  int64_t now = now_s();
  if (now - entry.created >= s.max_age.count()) {
    // Too old: what is still pending fails with its last reply.
    for (auto& r : entry.recipients) {
      if (r.status != RecipientStatus::pending) continue;
      r.status = RecipientStatus::failed;
      r.finished = now;
      r.last.text = "delivery time expired (" + r.last.reply_line() + ")";
      r.last.enhanced = "4.4.7";
    }
    return;
  }
  int64_t delay = std::max<int64_t>(s.first_retry.count(), 1);
  for (int i = 1; i < entry.attempts && delay < s.max_retry.count(); ++i) delay *= 2;
  delay = std::min<int64_t>(delay, std::max<int64_t>(s.max_retry.count(), 1));
  entry.next_attempt_ms = now_ms() + delay * 1000;
}

awaitable<void> MailQueue::deliver_remote(QueueEntry& entry, const std::vector<size_t>& which, std::string domain,
                                          std::shared_ptr<const std::string> message) {
  const auto& s = options_.settings;
  Envelope envelope;
  envelope.mail_from = entry.mail_from;
  envelope.envid = entry.envid;
  envelope.return_full = entry.return_full;
  for (size_t i : which) envelope.recipients.push_back(entry.recipients[i].recipient);

  std::vector<SmtpServer> servers;
  if (!s.relay_host.empty()) {
    servers.push_back(SmtpServer{s.relay_host, s.relay_port, {}});
  } else {
    MailHostLookup lookup;
    std::string dns_server = s.dns_server;
    co_await run_blocking(blocking_, [&] {
      try {
        lookup = lookup_mail_hosts(domain, dns_server);
      } catch (const std::exception& e) {
        lookup.status = MailHostLookup::Status::temporary;
        lookup.error = e.what();
      }
      return true;
    });
    if (lookup.status != MailHostLookup::Status::ok) {
      Outcome o = lookup.status == MailHostLookup::Status::no_domain
                      ? Outcome::permanent_failure(lookup.error, "5.1.2")
                      : Outcome::temporary_failure(lookup.error, "4.4.3");
      for (size_t i : which) record(entry, i, o, "", false);
      co_return;
    }
    for (auto& host : lookup.hosts) servers.push_back(SmtpServer{host.name, s.mx_port, host.addresses});
  }

  SmtpClientOptions client;
  client.helo_name = s.helo_name.empty() ? options_.host_name : s.helo_name;
  client.timeout = s.smtp_timeout;
  client.tls = tls_.get();
  // Credentials go to the relay only, never to whatever MX a recipient's domain names.
  if (!s.relay_host.empty()) {
    client.user = s.relay_user;
    client.password = s.relay_password;
  }
  SmtpResult result = co_await smtp_deliver(servers, client, envelope, message);
  for (size_t k = 0; k < which.size(); ++k) record(entry, which[k], result.outcomes[k], result.server, false);
}

awaitable<void> MailQueue::deliver_pending(QueueEntry& entry, std::shared_ptr<const std::string> message) {
  std::vector<size_t> local;
  std::map<std::string, std::vector<size_t>> remote;  // by domain ("" for everything via the relay)
  for (size_t i = 0; i < entry.recipients.size(); ++i) {
    const auto& r = entry.recipients[i];
    if (r.status != RecipientStatus::pending) continue;
    std::string domain = domain_of(r.recipient.address);
    if (local_) {
      switch (local_->classify(r.recipient.address)) {
        case AddressKind::local_account:
          local.push_back(i);
          continue;
        case AddressKind::unknown_local:
          record(entry, i, Outcome::permanent_failure("no such user here", "5.1.1"), "", true);
          continue;
        case AddressKind::remote:
          break;
      }
    } else if (options_.is_local_domain && options_.is_local_domain(domain)) {
      record(entry, i, Outcome::temporary_failure("local delivery is not available yet", "4.3.2"), "", true);
      continue;
    }
    remote[options_.settings.relay_host.empty() ? domain : std::string()].push_back(i);
  }

  if (!local.empty()) {
    Envelope envelope;
    envelope.mail_from = entry.mail_from;
    envelope.envid = entry.envid;
    envelope.return_full = entry.return_full;
    for (size_t i : local) envelope.recipients.push_back(entry.recipients[i].recipient);
    std::vector<Outcome> outcomes;
    std::string error;
    try {
      outcomes = co_await local_->deliver(envelope, message, entry.source);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (outcomes.size() != local.size()) {
      spdlog::error("queue: {}: local delivery failed: {}", entry.id, error.empty() ? "wrong outcome count" : error);
      outcomes.assign(local.size(), Outcome::temporary_failure("local delivery failed", "4.3.0"));
    }
    for (size_t k = 0; k < local.size(); ++k) record(entry, local[k], outcomes[k], "", true);
  }

  for (auto& [domain, which] : remote) co_await deliver_remote(entry, which, domain, message);
}

awaitable<bool> MailQueue::finish(QueueEntry& entry, const std::string& message) {
  DsnInput dsn;
  dsn.reporting_mta = options_.host_name;
  dsn.from = options_.postmaster;
  dsn.to = entry.mail_from;
  dsn.envid = entry.envid;
  dsn.return_full = entry.return_full;
  dsn.arrival = entry.created;
  dsn.now = now_s();
  for (const auto& r : entry.recipients) {
    bool delivered = r.status == RecipientStatus::delivered;
    if (delivered ? !r.recipient.notify_success : !r.recipient.notify_failure) continue;
    dsn.recipients.push_back(
        DsnRecipient{r.recipient.address, r.recipient.original, delivered, r.last, r.remote_mta, r.finished});
  }
  // Nothing is ever sent to the null reverse-path (bounces of bounces, RFC 5321 section 4.5.5).
  bool ok = true;
  if (!dsn.recipients.empty() && !entry.mail_from.empty()) {
    Envelope report;
    report.recipients.push_back(Recipient{entry.mail_from, false, false, {}});
    std::string text = build_dsn(dsn, message);
    std::string failure;
    try {
      std::string id = co_await submit(std::move(report), std::move(text), Source::generated);
      spdlog::info("queue: {}: delivery status notification {} to <{}>", entry.id, id, entry.mail_from);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      spdlog::error("queue: {}: cannot queue its delivery status notification: {}", entry.id, failure);
      co_return false;
    }
  }
  std::string error;
  std::string id = entry.id;
  co_await run_blocking(blocking_, [&] {
    try {
      files_.remove(id);
    } catch (const std::exception& e) {
      error = e.what();
    }
    return true;
  });
  if (!error.empty()) spdlog::error("queue: {}: cannot remove its files: {}", id, error);
  co_return ok;
}

awaitable<void> MailQueue::attempt(std::shared_ptr<Item> item) {
  QueueEntry& entry = item->entry;
  bool done = false;
  std::string error;
  try {
    std::string text;
    std::string id = entry.id;
    co_await run_blocking(blocking_, [&] {
      text = files_.read_message(id);
      return true;
    });
    auto message = std::make_shared<const std::string>(std::move(text));
    if (!entry.finished()) {
      co_await deliver_pending(entry, message);
      ++entry.attempts;
      if (!entry.finished()) schedule_retry(entry);
    }
    if (entry.finished()) {
      done = co_await finish(entry, *message);
      if (!done) entry.next_attempt_ms = now_ms() + std::max<int64_t>(options_.settings.first_retry.count(), 1) * 1000;
    }
    if (!done) {
      std::string write_error;
      co_await run_blocking(blocking_, [&] {
        try {
          files_.update(entry);
        } catch (const std::exception& e) {
          write_error = e.what();
        }
        return true;
      });
      if (!write_error.empty()) spdlog::error("queue: {}: cannot record the attempt: {}", entry.id, write_error);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) {
    spdlog::error("queue: {}: attempt failed: {}", entry.id, error);
    entry.next_attempt_ms = now_ms() + std::max<int64_t>(options_.settings.first_retry.count(), 1) * 1000;
  }
  item->busy = false;
  --active_;
  if (done) entries_.erase(entry.id);
  wake();
}

}  // namespace ximssd::delivery
