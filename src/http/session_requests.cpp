// The XIMSS requests of an HTTP session: POST .../sync and .../async with a <XIMSS> batch, the
// long-poll GET for asynchronous messages, and KILL.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "base/text.hpp"
#include "http/http_context.hpp"
#include "http/ximss_batch.hpp"
#include "ximss/message_runner.hpp"

namespace ximssd::http {

namespace {

using boost::asio::awaitable;
namespace asio = boost::asio;

constexpr std::chrono::seconds kDefaultPollWait{20};

// Runs the batch's requests in order; the caller holds the session's gate.
awaitable<void> run_batch(HttpContext& ctx, HttpBinding& binding, pugi::xml_node root, std::string& reply) {
  ximss::MessageOutput out(reply, false);
  auto& state = binding.state();
  for (auto child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    co_await ximss::run_element(ctx.ximss, state, child, out, false);
    if (state.after != ximss::ConnectionState::After::nothing) break;  // bye: the rest is not run
  }
}

// After a batch: <bye/> ends the session (once its reply is out).
void finish_batch(HttpContext& ctx, HttpBinding& binding) {
  auto& state = binding.state();
  if (state.after == ximss::ConnectionState::After::close) {
    ctx.sessions.end(binding.session()->url_id());
  }
  state.after = ximss::ConnectionState::After::nothing;
}

std::optional<std::string> req_seq_of(const RequestTarget& target) {
  auto v = target.param("reqSeq");
  return v ? std::optional<std::string>(*v) : std::nullopt;
}

// An async batch runs on the session's strand, its output going to the asynchronous queue.
awaitable<void> run_async_batch(HttpContext* ctx, std::shared_ptr<HttpBinding> binding,
                                std::shared_ptr<xml::ParsedDocument> doc, std::optional<std::string> req_seq) {
  auto session = binding->session();
  co_await session->gate.enter();
  ximss::SessionGate::Held held(&session->gate);
  try {
    if (binding->ended() || binding->replay(req_seq)) co_return;
    std::string reply;
    co_await run_batch(*ctx, *binding, doc->root, reply);
    binding->remember(std::move(req_seq), "<XIMSS/>");
    if (!reply.empty()) binding->push_async(std::move(reply));
    finish_batch(*ctx, *binding);
  } catch (const std::exception& e) {
    spdlog::error("http: async batch of session {} failed: {}", ximss::log_name(session->url_id()), e.what());
  }
}

awaitable<HttpResponse> sync_post(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                  std::shared_ptr<HttpBinding> binding) {
  auto batch = read_batch(request.body(), ctx.ximss.settings.max_depth);
  if (!batch.doc) co_return xml_response(request, ximss_envelope(batch.error));
  auto req_seq = req_seq_of(target);
  bool sync_async = target.flag("syncAsync");
  std::string body;
  auto& b = *binding;
  co_await ximss::run_in_session(binding->session(), [&]() -> awaitable<void> {
    if (auto replayed = b.replay(req_seq)) {
      body = std::move(*replayed);
      co_return;
    }
    std::string reply;
    co_await run_batch(ctx, b, batch.doc->root, reply);
    if (sync_async) reply += b.take_unsent();
    body = ximss_envelope(reply);
    b.remember(req_seq, body);
    finish_batch(ctx, b);
  });
  co_return xml_response(request, std::move(body));
}

HttpResponse async_post(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                        std::shared_ptr<HttpBinding> binding) {
  auto batch = read_batch(request.body(), ctx.ximss.settings.max_depth);
  if (!batch.doc) {
    binding->push_async(std::move(batch.error));  // the batch's output goes where its output would
  } else {
    auto executor = binding->session()->executor;
    asio::co_spawn(executor, run_async_batch(&ctx, std::move(binding), std::move(batch.doc), req_seq_of(target)),
                   asio::detached);
  }
  return xml_response(request, "<XIMSS/>");
}

// A non-negative number parameter; nullopt when absent, Failure(badRequest) when malformed.
std::optional<uint64_t> count_param(const RequestTarget& target, std::string_view name) {
  auto v = target.param(name);
  if (!v) return std::nullopt;
  auto n = parse_decimal(*v);
  if (!n || *n < 0) throw Failure(ErrorCode::badRequest, std::string(name) + " is not a number");
  return static_cast<uint64_t>(*n);
}

awaitable<HttpResponse> long_poll(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                  std::shared_ptr<HttpBinding> binding) {
  auto ack = count_param(target, "ackSeq");
  auto wait = std::chrono::seconds(count_param(target, "maxWait").value_or(kDefaultPollWait.count()));
  auto wait_for = std::min(wait, ctx.settings.max_poll_wait);
  auto waiter = std::make_shared<PollWaiter>(co_await asio::this_coro::executor);
  auto ready = binding->poll(ack, waiter);
  if (!ready && wait_for.count() > 0) {
    waiter->timer.expires_after(wait_for);
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    binding->end_poll(waiter);
    if (binding->ended()) co_return session_gone(request);
    if (!waiter->superseded) ready = binding->pending();
  } else if (!ready) {
    binding->end_poll(waiter);
  }
  if (!ready) co_return xml_response(request, "<XIMSS/>");
  co_return xml_response(request, ximss_envelope(ready->messages, ready->resp_seq));
}

}  // namespace

awaitable<HttpResponse> handle_session_request(HttpContext& ctx, const HttpRequest& request,
                                               const RequestTarget& target, std::shared_ptr<ximss::Session> session,
                                               std::string_view action) {
  if (action == "KILL") {
    // Ends the session at once: a TCP connection closes, an HTTP binding is forgotten.
    session->kill();
    co_return xml_response(request, "<XIMSS/>");
  }
  auto binding = ctx.sessions.find(session->url_id());
  if (!binding || binding->ended())
    co_return error_response(request, beast_http::status::not_found,
                             "this session was not opened over HTTP: use its own connection");
  if (action == "sync" || action == "async") {
    if (request.method() != beast_http::verb::post)
      co_return error_response(request, beast_http::status::method_not_allowed, "use POST");
    if (action == "async") co_return async_post(ctx, request, target, std::move(binding));
    co_return co_await sync_post(ctx, request, target, std::move(binding));
  }
  if (request.method() != beast_http::verb::get && request.method() != beast_http::verb::post)
    co_return error_response(request, beast_http::status::method_not_allowed, "use GET");
  co_return co_await long_poll(ctx, request, target, std::move(binding));
}

}  // namespace ximssd::http
