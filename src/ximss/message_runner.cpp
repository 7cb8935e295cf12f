#include "ximss/message_runner.hpp"

#include "formats/xml/request_parser.hpp"
#include "ximss/dispatch.hpp"

namespace ximssd::ximss {

void write_protocol_error(MessageOutput& out, ErrorCode code, const std::string& text, const std::string& id) {
  Failure failure(code, text);
  write_response(out, id, &failure, -1);
}

boost::asio::awaitable<RunOutcome> run_element(XimssContext& ctx, ConnectionState& state, pugi::xml_node element,
                                               MessageOutput& out, bool use_gate) {
  std::string id = element.attribute("id").value();
  if (id.empty()) {
    write_protocol_error(out, ErrorCode::badRequest, "request has no id", "");
    co_return RunOutcome::protocol_error;
  }
  Request request{ctx, state, element, std::move(id), out};
  // The session may be created by this very request (login): hold on to the one that was there.
  auto session = use_gate ? state.session : nullptr;
  if (session) co_await session->gate.enter();
  SessionGate::Held held(session ? &session->gate : nullptr);
  co_await execute(request);
  co_return RunOutcome::executed;
}

boost::asio::awaitable<RunOutcome> run_message(XimssContext& ctx, ConnectionState& state, std::string_view text,
                                               MessageOutput& out) {
  const xml::RequestLimits limits{ctx.settings.max_depth};
  xml::ParsedDocument doc;
  if (auto error = xml::parse_message(text, limits, doc)) {
    write_protocol_error(out, error->code, error->text, error->id);
    co_return RunOutcome::protocol_error;
  }
  co_return co_await run_element(ctx, state, doc.root, out, true);
}

}  // namespace ximssd::ximss
