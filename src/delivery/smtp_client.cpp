#include "delivery/smtp_client.hpp"

#include <gsasl.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "base/text.hpp"

namespace ximssd::delivery {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxReplyBuffer = 64 * 1024;
constexpr size_t kMaxReplyLines = 1000;

// The client side of one SASL exchange with GNU SASL (PLAIN or LOGIN), base64 in and out.
class SaslClient {
 public:
  SaslClient(const char* mechanism, const std::string& user, const std::string& password) {
    if (gsasl_init(&ctx_) != GSASL_OK) {
      ctx_ = nullptr;
      throw std::runtime_error("cannot initialise GNU SASL");
    }
    if (gsasl_client_start(ctx_, mechanism, &session_) != GSASL_OK) {
      gsasl_done(ctx_);
      throw std::runtime_error(std::string("GNU SASL has no client for ") + mechanism);
    }
    gsasl_property_set(session_, GSASL_AUTHID, user.c_str());
    gsasl_property_set(session_, GSASL_PASSWORD, password.c_str());
  }
  ~SaslClient() {
    gsasl_finish(session_);
    gsasl_done(ctx_);
  }
  SaslClient(const SaslClient&) = delete;
  SaslClient& operator=(const SaslClient&) = delete;

  // The response to a base64 challenge.
  std::string step(const std::string& challenge) {
    char* out = nullptr;
    int rc = gsasl_step64(session_, challenge.c_str(), &out);
    std::string response = out ? out : "";
    gsasl_free(out);
    if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE)
      throw std::runtime_error(std::string("SASL: ") + gsasl_strerror(rc));
    return response;
  }

 private:
  Gsasl* ctx_ = nullptr;
  Gsasl_session* session_ = nullptr;
};

struct Extensions {
  bool starttls = false, dsn = false, size = false, eightbit = false;
  std::vector<std::string> auth;
};

Extensions parse_extensions(const SmtpReply& ehlo) {
  Extensions ext;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string line = ascii_upper(ehlo.lines[i]);
    std::string keyword = line.substr(0, line.find(' '));
    if (keyword == "STARTTLS") ext.starttls = true;
    else if (keyword == "DSN") ext.dsn = true;
    else if (keyword == "SIZE") ext.size = true;
    else if (keyword == "8BITMIME") ext.eightbit = true;
    else if (keyword == "AUTH" || keyword.starts_with("AUTH=")) {
      std::string rest = line.substr(keyword == "AUTH" ? 4 : 5);
      size_t start = 0;
      while (start < rest.size()) {
        size_t end = rest.find(' ', start);
        if (end == std::string::npos) end = rest.size();
        if (end > start) ext.auth.push_back(rest.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  return ext;
}

bool has_8bit(std::string_view message) {
  for (unsigned char c : message)
    if (c >= 0x80) return true;
  return false;
}

// Why a server did not take the session: moves on to the next server.
struct SessionRefused {
  Outcome outcome;
};

// One connection to one server. Shared with its timeout handler, which closes the socket when a
// reply is late (the pending read then fails).
class Conversation : public std::enable_shared_from_this<Conversation> {
 public:
  Conversation(asio::any_io_executor ex, asio::ssl::context* tls, std::chrono::seconds timeout)
      : stream_(ex, tls ? *tls : dummy_context()), timer_(ex), timeout_(timeout) {}

  tcp::socket& socket() { return stream_.next_layer(); }
  bool timed_out() const { return timed_out_; }

  void arm() {
    timer_.expires_after(timeout_);
    std::weak_ptr<Conversation> weak = weak_from_this();
    timer_.async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        self->timed_out_ = true;
        boost::system::error_code ignored;
        self->socket().close(ignored);
      }
    });
  }
  void disarm() { timer_.cancel(); }

  awaitable<void> connect(const tcp::endpoint& endpoint) {
    arm();
    co_await socket().async_connect(endpoint, use_awaitable);
    disarm();
  }

  awaitable<SmtpReply> read_reply() {
    SmtpReply reply;
    arm();
    for (;;) {
      size_t n = 0;
      if (tls_active_) n = co_await asio::async_read_until(stream_, asio::dynamic_buffer(buffer_, kMaxReplyBuffer), '\n', use_awaitable);
      else n = co_await asio::async_read_until(socket(), asio::dynamic_buffer(buffer_, kMaxReplyBuffer), '\n', use_awaitable);
      std::string line = buffer_.substr(0, n - 1);
      buffer_.erase(0, n);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (add_reply_line(reply, line)) break;
      if (reply.lines.size() > kMaxReplyLines) throw std::runtime_error("reply too long");
    }
    disarm();
    co_return reply;
  }

  awaitable<void> send(std::string text) {
    arm();
    if (tls_active_) co_await asio::async_write(stream_, asio::buffer(text), use_awaitable);
    else co_await asio::async_write(socket(), asio::buffer(text), use_awaitable);
    disarm();
  }

  awaitable<SmtpReply> command(std::string line) {
    co_await send(line + "\r\n");
    co_return co_await read_reply();
  }

  awaitable<void> start_tls(const std::string& host) {
    // Anything the server sent after its 220 would be a plaintext injection: drop it.
    buffer_.clear();
    if (!host.empty()) SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str());
    arm();
    co_await stream_.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    disarm();
    tls_active_ = true;
  }
  bool tls_active() const { return tls_active_; }

  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket().close(ignored);
  }

 private:
  static asio::ssl::context& dummy_context() {
    static asio::ssl::context context(asio::ssl::context::tls_client);
    return context;
  }

  asio::ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  std::chrono::seconds timeout_;
  std::string buffer_;
  bool tls_active_ = false;
  bool timed_out_ = false;
};

Outcome temporary(std::string text, std::string enhanced = "4.4.1") {
  return Outcome::temporary_failure(std::move(text), std::move(enhanced));
}

// Greeting, EHLO (HELO when EHLO is refused), STARTTLS and AUTH: the session up to MAIL FROM.
// Throws SessionRefused when the server will not do.
awaitable<Extensions> open_session(Conversation& c, const SmtpServer& server, const SmtpClientOptions& options) {
  SmtpReply greeting = co_await c.read_reply();
  if (greeting.code != 220) throw SessionRefused{greeting.outcome()};
  SmtpReply ehlo = co_await c.command("EHLO " + options.helo_name);
  if (ehlo.code != 250) {
    SmtpReply helo = co_await c.command("HELO " + options.helo_name);
    if (helo.code != 250) throw SessionRefused{helo.outcome()};
    ehlo = SmtpReply{};
    ehlo.code = 250;
  }
  Extensions ext = parse_extensions(ehlo);
  if (ext.starttls && options.tls) {
    SmtpReply reply = co_await c.command("STARTTLS");
    if (reply.code == 220) {
      co_await c.start_tls(server.host);
      ehlo = co_await c.command("EHLO " + options.helo_name);
      if (ehlo.code != 250) throw SessionRefused{ehlo.outcome()};
      ext = parse_extensions(ehlo);
    }
  }
  if (!options.user.empty()) {
    const char* mechanism = nullptr;
    for (const auto& m : ext.auth)
      if (m == "PLAIN") mechanism = "PLAIN";
    if (!mechanism)
      for (const auto& m : ext.auth)
        if (m == "LOGIN") mechanism = "LOGIN";
    if (!mechanism)
      throw SessionRefused{temporary("the relay offers no AUTH PLAIN or LOGIN" +
                                         std::string(c.tls_active() ? "" : " (before TLS)"),
                                     "4.7.0")};
    SaslClient sasl(mechanism, options.user, options.password);
    std::string first = std::string("AUTH ") + mechanism;
    // PLAIN sends its response at once (RFC 4954 initial response); LOGIN waits for prompts.
    if (std::string_view(mechanism) == "PLAIN") {
      std::string initial = sasl.step("");
      first += " " + (initial.empty() ? std::string("=") : initial);
    }
    SmtpReply reply = co_await c.command(first);
    for (int rounds = 0; reply.code == 334 && rounds < 10; ++rounds) {
      std::string challenge = reply.lines.empty() ? std::string() : trim_whitespace(reply.lines.back());
      reply = co_await c.command(sasl.step(challenge));
    }
    if (reply.code != 235) {
      // A refused login is the relay's configuration, not the message's fault: try again later.
      Outcome o = reply.outcome();
      throw SessionRefused{temporary("authentication to the relay failed: " + std::to_string(reply.code) + " " + o.text,
                                     "4.7.0")};
    }
  }
  co_return ext;
}

std::string mail_from_command(const Envelope& envelope, const Extensions& ext, const std::string& message) {
  std::string line = "MAIL FROM:<" + envelope.mail_from + ">";
  if (ext.size) line += " SIZE=" + std::to_string(message.size());
  if (ext.eightbit && has_8bit(message)) line += " BODY=8BITMIME";
  if (ext.dsn) {
    line += envelope.return_full ? " RET=FULL" : " RET=HDRS";
    if (!envelope.envid.empty()) line += " ENVID=" + xtext(envelope.envid);
  }
  return line;
}

std::string rcpt_command(const Recipient& r, const Extensions& ext) {
  std::string line = "RCPT TO:<" + r.address + ">";
  if (ext.dsn) {
    if (r.notify_success && r.notify_failure) line += " NOTIFY=SUCCESS,FAILURE";
    else if (r.notify_success) line += " NOTIFY=SUCCESS";
    else if (r.notify_failure) line += " NOTIFY=FAILURE";
    else line += " NOTIFY=NEVER";
    if (!r.original.empty()) line += " ORCPT=rfc822;" + xtext(r.original);
  }
  return line;
}

// QUIT after the answers are in: its own failure changes nothing.
awaitable<void> quit(Conversation& c) {
  try {
    co_await c.command("QUIT");
  } catch (const std::exception&) {
  }
}

// The transaction on an open session: MAIL, RCPT for each recipient, DATA, QUIT.
awaitable<std::vector<Outcome>> transact(Conversation& c, const Extensions& ext, const Envelope& envelope,
                                         const std::string& message) {
  size_t count = envelope.recipients.size();
  SmtpReply mail = co_await c.command(mail_from_command(envelope, ext, message));
  if (mail.code / 100 != 2) {
    co_await quit(c);
    co_return std::vector<Outcome>(count, mail.outcome());
  }
  std::vector<Outcome> outcomes(count);
  std::vector<size_t> accepted;
  for (size_t i = 0; i < count; ++i) {
    SmtpReply rcpt = co_await c.command(rcpt_command(envelope.recipients[i], ext));
    outcomes[i] = rcpt.outcome();
    if (rcpt.code / 100 == 2) accepted.push_back(i);
  }
  if (accepted.empty()) {
    co_await quit(c);
    co_return outcomes;
  }
  SmtpReply data = co_await c.command("DATA");
  if (data.code != 354) {
    for (size_t i : accepted) outcomes[i] = data.outcome();
    co_await quit(c);
    co_return outcomes;
  }
  co_await c.send(dot_stuff(message));
  SmtpReply done = co_await c.read_reply();
  for (size_t i : accepted) outcomes[i] = done.outcome();
  co_await quit(c);
  co_return outcomes;
}

}  // namespace

std::unique_ptr<asio::ssl::context> make_smtp_client_tls() {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  context->set_verify_mode(asio::ssl::verify_none);
  return context;
}

awaitable<SmtpResult> smtp_deliver(const std::vector<SmtpServer>& servers, const SmtpClientOptions& options,
                                   const Envelope& envelope, std::shared_ptr<const std::string> message) {
  auto ex = co_await asio::this_coro::executor;
  SmtpResult result;
  Outcome last_failure = temporary("no mail server to connect to", "4.4.4");
  for (const auto& server : servers) {
    std::vector<tcp::endpoint> endpoints;
    for (const auto& a : server.addresses) endpoints.emplace_back(a, server.port);
    if (endpoints.empty()) {
      bool resolve_failed = false;
      std::string why;
      try {
        tcp::resolver resolver(ex);
        auto found = co_await resolver.async_resolve(server.host, std::to_string(server.port), use_awaitable);
        for (const auto& e : found) endpoints.push_back(e.endpoint());
      } catch (const std::exception& e) {
        resolve_failed = true;
        why = e.what();
      }
      if (resolve_failed) {
        last_failure = temporary("cannot resolve " + server.host + ": " + why, "4.4.3");
        continue;
      }
    }
    for (const auto& endpoint : endpoints) {
      auto c = std::make_shared<Conversation>(ex, options.tls, options.timeout);
      std::optional<Outcome> refused;
      std::string error;
      bool connected = false, transaction_started = false;
      std::vector<Outcome> outcomes;
      try {
        co_await c->connect(endpoint);
        connected = true;
        Extensions ext = co_await open_session(*c, server, options);
        transaction_started = true;
        outcomes = co_await transact(*c, ext, envelope, *message);
      } catch (const SessionRefused& r) {
        refused = r.outcome;
      } catch (const std::exception& e) {
        error = c->timed_out() ? "timed out" : e.what();
      }
      c->close();
      if (!outcomes.empty()) {
        result.outcomes = std::move(outcomes);
        result.server = server.host;
        co_return result;
      }
      std::string where = server.host + " [" + endpoint.address().to_string() + "]:" + std::to_string(endpoint.port());
      if (refused) {
        last_failure = *refused;
        last_failure.text = where + ": " + last_failure.text;
        spdlog::info("smtp client: {} refused the session: {}", where, last_failure.reply_line());
        if (refused->code / 100 == 5 && connected) result.server = server.host;
        continue;
      }
      if (transaction_started) {
        // Lost in the middle of the transaction: the message may or may not have been taken;
        // it will be sent again later (SMTP's own rule, RFC 5321 section 6.1).
        result.outcomes.assign(envelope.recipients.size(),
                               temporary("connection to " + where + " lost: " + error, "4.4.2"));
        result.server = server.host;
        co_return result;
      }
      last_failure = temporary((connected ? "session with " : "cannot connect to ") + where + ": " + error,
                               connected ? "4.4.2" : "4.4.1");
      spdlog::info("smtp client: {}", last_failure.text);
    }
  }
  result.outcomes.assign(envelope.recipients.size(), last_failure);
  co_return result;
}

}  // namespace ximssd::delivery
