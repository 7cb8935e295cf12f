#include "ximss/dispatch.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_map>

namespace ximssd::ximss {

namespace {

const std::unordered_map<std::string_view, const Operation*>& operation_table() {
  static const auto table = [] {
    std::unordered_map<std::string_view, const Operation*> t;
    for (auto area : {prelogin_operations(), login_operations(), session_operations(), mailbox_operations(),
                      message_operations(), folder_operations(), rule_operations(), submit_operations()})
      for (const auto& op : area) t.emplace(op.name, &op);
    return t;
  }();
  return table;
}

long requested_exe_time(const Request& r) {
  std::string_view v = r.attr("exeTime");
  return (!v.empty() && v != "0") ? 0 : -1;
}

}  // namespace

const Operation* find_operation(std::string_view name) {
  const auto& table = operation_table();
  auto it = table.find(name);
  return it == table.end() ? nullptr : it->second;
}

boost::asio::awaitable<void> execute(Request& request) {
  auto started = std::chrono::steady_clock::now();
  std::optional<Failure> error;
  const Operation* op = find_operation(request.name());
  if (!op) {
    error.emplace(ErrorCode::unknownCommand, "unknown command");
  } else if (op->access == Access::in_session && !request.conn.session) {
    error.emplace(ErrorCode::notAuthenticated, "not logged in");
  } else if (op->access == Access::before_login && request.conn.session) {
    error.emplace(ErrorCode::alreadyAuthenticated, "already logged in");
  } else {
    try {
      co_await op->handler(request);
    } catch (const Failure& f) {
      error.emplace(f);
    } catch (const std::exception& e) {
      spdlog::error("ximss: {} failed: {}", request.name(), e.what());
      error.emplace(ErrorCode::internal, "internal error");
    }
  }
  if (!request.send_response && !error) co_return;
  long exe_time = requested_exe_time(request);
  if (exe_time == 0)
    exe_time = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
  write_response(request.out, request.id, error ? &*error : nullptr, exe_time);
}

}  // namespace ximssd::ximss
