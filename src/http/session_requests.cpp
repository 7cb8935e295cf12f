// The XIMSS requests of an HTTP session: POST .../sync and .../async with a <XIMSS> batch, the
// long-poll GET for asynchronous messages, and KILL.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "base/text.hpp"
#include "formats/xml/request_parser.hpp"
#include "formats/xml/xml_writer.hpp"
#include "http/http_context.hpp"
#include "ximss/message_runner.hpp"

namespace ximssd::http {

namespace {

using boost::asio::awaitable;
namespace asio = boost::asio;

constexpr std::chrono::seconds kDefaultPollWait{20};

std::string envelope(std::string_view content, std::optional<uint64_t> resp_seq = std::nullopt) {
  if (content.empty() && !resp_seq) return "<XIMSS/>";
  std::string out = "<XIMSS";
  if (resp_seq) out += " respSeq=\"" + std::to_string(*resp_seq) + "\"";
  if (content.empty()) return out + "/>";
  out += ">";
  out += content;
  out += "</XIMSS>";
  return out;
}

// A batch as the client sent it: the <XIMSS> document, or the error to answer with.
struct Batch {
  std::shared_ptr<xml::ParsedDocument> doc;
  std::string error;  // an error <response> when the body cannot be run
};

Batch read_batch(HttpContext& ctx, const HttpRequest& request) {
  Batch batch;
  batch.doc = std::make_shared<xml::ParsedDocument>();
  std::string reply;
  ximss::MessageOutput out(reply, false);
  if (auto error = xml::parse_message(request.body(), xml::RequestLimits{ctx.ximss.settings.max_depth}, *batch.doc)) {
    ximss::write_protocol_error(out, error->code, error->text, error->id);
  } else if (std::string_view(batch.doc->root.name()) != "XIMSS") {
    ximss::write_protocol_error(out, ErrorCode::malformedMessage, "the body is not a <XIMSS> document",
                                batch.doc->root.attribute("id").value());
  } else {
    return batch;
  }
  batch.doc.reset();
  batch.error = std::move(reply);
  return batch;
}

// True when `req_seq` numbers a batch before the last one seen (reqSeq grows by one per POST).
bool is_stale(const std::optional<std::string>& req_seq, const std::optional<std::string>& last) {
  if (!req_seq || !last) return false;
  auto n = parse_decimal(*req_seq), l = parse_decimal(*last);
  return n && l && *n < *l;
}

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

// An async batch runs on the session's strand, its output going to the asynchronous queue.
awaitable<void> run_async_batch(HttpContext* ctx, std::shared_ptr<HttpBinding> binding,
                                std::shared_ptr<xml::ParsedDocument> doc, std::optional<std::string> req_seq) {
  auto session = binding->session();
  co_await session->gate.enter();
  try {
    if (!binding->ended() && !(req_seq && binding->last_req_seq == req_seq) && !is_stale(req_seq, binding->last_req_seq)) {
      std::string reply;
      co_await run_batch(*ctx, *binding, doc->root, reply);
      binding->last_req_seq = req_seq;
      binding->last_reply = "<XIMSS/>";
      if (!reply.empty()) binding->push_async(std::move(reply));
      finish_batch(*ctx, *binding);
    }
  } catch (const std::exception& e) {
    spdlog::error("http: async batch of session {} failed: {}", ximss::log_name(session->url_id()), e.what());
  }
  session->gate.leave();
}

awaitable<HttpResponse> sync_post(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                  std::shared_ptr<HttpBinding> binding, bool sync_async) {
  auto batch = read_batch(ctx, request);
  if (!batch.doc) co_return xml_response(request, envelope(batch.error));
  std::optional<std::string> req_seq;
  if (auto v = target.param("reqSeq")) req_seq = std::string(*v);
  std::string body;
  auto& b = *binding;
  co_await ximss::run_in_session(binding->session(), [&]() -> awaitable<void> {
    // A retry of the last batch (its reply was lost) gets that reply, not a second run; a
    // batch older than that (a retry arriving late) has run already and is not run again.
    if (req_seq && b.last_req_seq == req_seq) {
      body = b.last_reply;
      co_return;
    }
    if (is_stale(req_seq, b.last_req_seq)) {
      body = "<XIMSS/>";
      co_return;
    }
    std::string reply;
    co_await run_batch(ctx, b, batch.doc->root, reply);
    if (sync_async) reply += b.take_unsent();
    body = envelope(reply);
    b.last_req_seq = req_seq;
    b.last_reply = body;
    finish_batch(ctx, b);
  });
  co_return xml_response(request, std::move(body));
}

HttpResponse async_post(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                        std::shared_ptr<HttpBinding> binding) {
  auto batch = read_batch(ctx, request);
  if (!batch.doc) {
    binding->push_async(std::move(batch.error));  // the batch's output goes where its output would
    return xml_response(request, "<XIMSS/>");
  }
  std::optional<std::string> req_seq;
  if (auto v = target.param("reqSeq")) req_seq = std::string(*v);
  auto executor = binding->session()->executor;
  asio::co_spawn(executor, run_async_batch(&ctx, std::move(binding), std::move(batch.doc), std::move(req_seq)),
                 asio::detached);
  return xml_response(request, "<XIMSS/>");
}

awaitable<HttpResponse> long_poll(HttpContext& ctx, const HttpRequest& request, const RequestTarget& target,
                                  std::shared_ptr<HttpBinding> binding) {
  std::optional<uint64_t> ack;
  if (auto v = target.param("ackSeq")) {
    auto n = parse_decimal(*v);
    if (!n || *n < 0) co_return error_response(request, beast_http::status::bad_request, "ackSeq is not a number");
    ack = static_cast<uint64_t>(*n);
  }
  auto wait = kDefaultPollWait;
  if (auto v = target.param("maxWait")) {
    auto n = parse_decimal(*v);
    if (!n || *n < 0) co_return error_response(request, beast_http::status::bad_request, "maxWait is not a number");
    wait = std::chrono::seconds(*n);
  }
  wait = std::min(wait, ctx.settings.max_poll_wait);
  binding->touch();
  auto waiter = std::make_shared<PollWaiter>(co_await asio::this_coro::executor);
  auto ready = binding->poll(ack, waiter);
  if (!ready && wait.count() > 0) {
    waiter->timer.expires_after(wait);
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    binding->end_poll(waiter);
    if (binding->ended()) co_return session_gone(request);
    if (!waiter->superseded) ready = binding->pending();
  } else if (!ready) {
    binding->end_poll(waiter);
  }
  if (!ready) co_return xml_response(request, "<XIMSS/>");
  co_return xml_response(request, envelope(ready->messages, ready->resp_seq));
}

}  // namespace

awaitable<HttpResponse> handle_session_request(HttpContext& ctx, const HttpRequest& request,
                                               const RequestTarget& target, std::shared_ptr<ximss::Session> session,
                                               const std::vector<std::string>& rest) {
  std::string_view action = rest.empty() ? std::string_view() : std::string_view(rest.front());
  if (action == "KILL") {
    // Ends the session at once: a TCP connection closes, an HTTP binding is forgotten.
    session->kill();
    co_return xml_response(request, "<XIMSS/>");
  }
  if (!action.empty() && action != "get" && action != "sync" && action != "async")
    co_return co_await handle_session_url(ctx, request, target, std::move(session), rest);
  auto binding = ctx.sessions.find(session->url_id());
  if (!binding || binding->ended())
    co_return error_response(request, beast_http::status::not_found,
                             "this session was not opened over HTTP: use its own connection");
  binding->touch();
  if (action == "sync" || action == "async") {
    if (request.method() != beast_http::verb::post)
      co_return error_response(request, beast_http::status::method_not_allowed, "use POST");
    if (action == "async") co_return async_post(ctx, request, target, std::move(binding));
    co_return co_await sync_post(ctx, request, target, std::move(binding), target.flag("syncAsync"));
  }
  if (request.method() != beast_http::verb::get && request.method() != beast_http::verb::post)
    co_return error_response(request, beast_http::status::method_not_allowed, "use GET");
  co_return co_await long_poll(ctx, request, target, std::move(binding));
}

}  // namespace ximssd::http
