#include "server/serve.hpp"

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <optional>
#include <iostream>
#include <thread>

#include "base/log.hpp"
#include "delivery/queue/mail_queue.hpp"
#include "mail/account_service.hpp"
#include "base/run_blocking.hpp"
#include "mail/login_throttle.hpp"
#include "mail/mailbox_service.hpp"
#include "mail/message_ingest.hpp"
#include "mail/sasl.hpp"
#include "server/first_start.hpp"
#include "server/tls.hpp"
#include "store/store.hpp"
#include "http/http_server.hpp"
#include "imap/server/connection.hpp"
#include "delivery/local_delivery.hpp"
#include "delivery/rules/rule_engine.hpp"
#include "smtp/smtp_connection.hpp"
#include "mail/quota.hpp"
#include "mail/remote_changes.hpp"
#include "ximss/known_values.hpp"
#include "ximss/listener.hpp"
#include "ximss/strings_dictionary.hpp"

namespace ximssd::server {

namespace asio = boost::asio;

namespace {

// Each connection is a descriptor: allow as many as the system lets this process have.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int serve(const Config& config) {
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  std::filesystem::create_directories(config.data_dir);

  auto store = store::Store::open(store_options(config));
  auto& db = *store;
  asio::thread_pool blocking(std::max(2u, std::thread::hardware_concurrency()));
  mail::AccountService accounts(db, config.hash_cost, &blocking);
  std::string default_domain = ensure_default_domain(config, accounts);
  std::string host = host_name();

  auto tls = make_tls_context(config, default_domain);
  mail::SaslServer sasl(accounts, default_domain, host);
  mail::LoginThrottle throttle(std::chrono::milliseconds(config.throttle_base_ms),
                               std::chrono::milliseconds(config.throttle_max_ms));
  ximss::SessionRegistry sessions(config.node_name);
  mail::LoginNonces nonces(host);
  ximss::StringsDictionary strings;
  ximss::KnownValues known_values;
  mail::MailboxService mailboxes(db);
  mail::ChangeHub hub;
  // Other nodes' changes (PostgreSQL) reach this node's views and IMAP sessions.
  mail::relay_remote_changes(db, hub);
  mail::MessageIngest ingest(db, mailboxes, &blocking, &hub);
  mail::MessageService messages(db, mailboxes, hub);
  mail::QuotaService quota(db, accounts, config.imap.quota_kib);
  imap::RecentTracker recent;
  imap::MailboxIndex mailbox_index(db, hub);
  ximss::XimssContext ximss_ctx{config.ximss, default_domain, accounts, mailboxes,    ingest,
                                messages,     sasl,           throttle, nonces,    sessions,
                                strings,      known_values,   blocking, tls.get()};

  unsigned threads = config.io_threads ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  // The HTTP layer's objects are declared before the io_context, so that they outlive the
  // coroutine frames it destroys (a WebSocket connection's destructor reaches them).
  std::optional<http::HttpSessions> http_sessions;
  http::RateLimiter http_limiter(config.http.request_rate, config.http.request_burst);
  std::optional<http::HttpContext> http_ctx;
  // Mail in (LMTP, SMTP) goes through local delivery: rules, then the store. The Rules and the
  // outbound queue are connected where they are created; until then delivery runs without them.
  delivery::LocalDelivery local_delivery(accounts, mailboxes, ingest, quota, blocking, host);
  // The accounts' mailIn Rules, evaluated per recipient on the blocking pool.
  delivery::RuleEngine rule_engine(db, config.delivery.rules);
  local_delivery.set_rules(&rule_engine);
  smtp::SmtpContext smtp_ctx{config.delivery.inbound, local_delivery, host, default_domain, tls.get()};
  asio::io_context io(static_cast<int>(threads));
  auto endpoint = asio::ip::tcp::endpoint(asio::ip::make_address(config.ximss_listen), config.ximss_port);
  ximss::listen_ximss(io, endpoint, ximss_ctx);

  // XIMSS over HTTP and HTTPS (and the session URLs of every session).
  http_sessions.emplace(io, sessions);
  http_ctx.emplace(http::HttpContext{config.http, ximss_ctx, *http_sessions, http_limiter, io});
  auto http_address = asio::ip::make_address(config.http.listen);
  http::listen_http(io, {http_address, config.http.port}, *http_ctx, nullptr);
  if (config.http.tls_port && tls) http::listen_http(io, {http_address, config.http.tls_port}, *http_ctx, tls.get());
  http_sessions->start_sweeper();

  // The outbound queue (DATA/queue): messages submitted over XIMSS, delivery-status
  // notifications. Declared after the io_context: it is gone before the context's destructor
  // destroys the coroutine frames that refer to it, and they only hold references.
  delivery::MailQueueOptions queue_options;
  queue_options.settings = config.delivery.queue;
  queue_options.dir = config.data_dir / "queue";
  queue_options.host_name = host;
  queue_options.postmaster = "postmaster@" + default_domain;
  queue_options.is_local_domain = [&accounts](std::string_view domain) { return accounts.find_domain(domain).has_value(); };
  delivery::MailQueue queue(io, blocking, std::move(queue_options), &local_delivery);
  // Copies the Rules send (redirects, automatic replies) leave through the queue too.
  local_delivery.set_submitter(&queue);
  queue.start();
  ximss_ctx.submitter = &queue;
  ximss_ctx.host_name = host;
  // recoverPassword mails a link to the password-reset page of the HTTP server.
  mail::PasswordReset password_reset(accounts);
  ximss_ctx.password_reset = &password_reset;
  std::string public_url = config.http.public_url.empty()
                               ? "http://" + host + ":" + std::to_string(config.http.port)
                               : config.http.public_url;
  while (public_url.ends_with('/')) public_url.pop_back();
  ximss_ctx.password_reset_url = public_url + "/PasswordReset";

  // IMAP, and IMAPS with the same certificate.
  // The cleartext rules are the server's (auth.*), the same for every protocol.
  imap::ImapSettings imap_settings = config.imap;
  imap_settings.loopback_is_secure = config.ximss.loopback_is_secure;
  imap_settings.cleartext_on_insecure = config.ximss.cleartext_on_insecure;
  imap::ImapContext imap_ctx{imap_settings, default_domain, accounts, mailboxes, ingest, messages, sasl,
                             throttle,    quota,          recent,   mailbox_index, blocking, tls.get()};
  auto imap_address = asio::ip::make_address(config.imap.listen);
  if (config.imap.port) imap::listen_imap(io, {imap_address, config.imap.port}, imap_ctx, false);
  if (config.imap.tls_port && tls) imap::listen_imap(io, {imap_address, config.imap.tls_port}, imap_ctx, true);

  // Mail in: LMTP from the MTA (TCP and a Unix socket) and SMTP for local recipients.
  const auto& inbound = config.delivery.inbound;
  if (inbound.lmtp_port)
    smtp::listen_smtp_tcp(io, {asio::ip::make_address(inbound.lmtp_listen), inbound.lmtp_port}, smtp_ctx,
                          smtp::Dialect::lmtp);
  std::string lmtp_socket;
  if (inbound.lmtp_socket != "none") {
    std::filesystem::path path = inbound.lmtp_socket.empty() ? config.data_dir / "lmtp.sock"
                                                             : std::filesystem::path(inbound.lmtp_socket);
    path = std::filesystem::absolute(path);
    if (smtp::listen_lmtp_unix(io, path, smtp_ctx)) lmtp_socket = path.string();
  }
  if (inbound.smtp_port)
    smtp::listen_smtp_tcp(io, {asio::ip::make_address(inbound.smtp_listen), inbound.smtp_port}, smtp_ctx,
                          smtp::Dialect::smtp);

  // Message bodies that nothing references any more (removed mailboxes, a crash between writing
  // a body and committing its message) are collected at start and then every hour.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (;;) {
          try {
            auto report = co_await run_blocking(blocking, [&] { return db.collect_garbage(std::chrono::hours(1)); });
            if (report.blobs_removed || report.temporaries_removed)
              spdlog::info("store: removed {} unreferenced message bodies and {} temporary files",
                           report.blobs_removed, report.temporaries_removed);
          } catch (const std::exception& e) {
            spdlog::error("store: garbage collection failed: {}", e.what());
          }
          timer.expires_after(std::chrono::hours(1));
          co_await timer.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) {
      spdlog::info("ximssd: shutting down");
      io.stop();
    }
  });

  std::cout << "ximssd: data directory " << std::filesystem::absolute(config.data_dir).string() << "\n"
            << "ximssd: XIMSS on " << config.ximss_listen << ":" << config.ximss_port
            << " (XML over TCP, STARTTLS available)\n"
            << "ximssd: XIMSS over HTTP on " << config.http.listen << ":" << config.http.port
            << (config.http.tls_port ? ", HTTPS on port " + std::to_string(config.http.tls_port) : std::string())
            << "; web client at http://localhost:" << config.http.port << "/\n"
            << "ximssd: IMAP on " << config.imap.listen << ":" << config.imap.port
            << (config.imap.tls_port ? ", IMAPS on port " + std::to_string(config.imap.tls_port) : std::string())
            << " (log in as postmaster@" << default_domain << ")\n"
            << "ximssd: LMTP on "
            << (inbound.lmtp_port ? inbound.lmtp_listen + ":" + std::to_string(inbound.lmtp_port) : std::string("no port"))
            << (lmtp_socket.empty() ? std::string() : " and " + lmtp_socket)
            << "; SMTP (mail for local accounts only) on "
            << (inbound.smtp_port ? inbound.smtp_listen + ":" + std::to_string(inbound.smtp_port) : std::string("no port"))
            << (inbound.smtp_port && tls ? " (STARTTLS available)" : "") << "\n"
            << "ximssd: connect a XIMSS client to port " << config.ximss_port << " and log in as postmaster@"
            << default_domain << "\n"
            << "ximssd: ready" << std::endl;
  spdlog::info("ximssd: serving with {} network threads", threads);

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : workers) t.join();
  // Pending writes and hashing refer to coroutine frames owned by `io`: finish them first.
  blocking.join();
  db.stop_writer();
  // Sessions hold strands of the io_context: let go of them while it still exists.
  http_sessions->clear();
  return 0;
}

}  // namespace ximssd::server
