// Operations of a logged-in session: passwords, session options, time, status, session data,
// language and known values.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "delivery/rules/rule_store.hpp"
#include "formats/xml/xml_value.hpp"
#include "mail/credentials.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/known_values.hpp"
#include "ximss/ops/common.hpp"
#include "ximss/strings_dictionary.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

constexpr std::chrono::seconds kMinIdleTimeout{30};
constexpr std::chrono::seconds kMaxIdleTimeout{86400};
constexpr size_t kMaxSessionDataBytes = 256 * 1024;

store::AccountRecord fresh_account(Request& r) {
  auto account = r.ctx.accounts.find_account(r.session().account().id);
  if (!account) throw Failure(ErrorCode::notFound, "the account no longer exists");
  return *account;
}

awaitable<void> password_modify(Request& r) {
  auto account = fresh_account(r);
  std::string old_password(r.required("oldPassword"));
  bool ok = co_await run_blocking(r.ctx.blocking,
                                  [&] { return mail::verify_password(account.password_hash, old_password); });
  if (!ok) {
    r.ctx.throttle.record_failure(ascii_lower(account.address()), r.conn.peer_ip);
    throw Failure(ErrorCode::authenticationFailed, "incorrect old password");
  }
  std::string name(r.attr("name"));
  std::string new_password(r.attr("newPassword"));
  if (!name.empty()) {
    if (is_yes(r.attr("remove")))
      co_await r.ctx.accounts.remove_app_password(account.id, name);
    else if (!new_password.empty())
      co_await r.ctx.accounts.set_app_password(account.id, name, new_password);
    else
      throw Failure(ErrorCode::badRequest, "an application password needs newPassword or remove=\"yes\"");
  } else if (!new_password.empty()) {
    co_await r.ctx.accounts.change_password(account.id, new_password);
    spdlog::info("ximss: {} changed the account password", account.address());
  }
  if (r.has_attr("recoveryEMail"))
    co_await r.ctx.accounts.set_recovery_email(account.id, std::string(r.attr("recoveryEMail")));
}

awaitable<void> list_spec_passwords(Request& r) {
  for (const auto& name : r.ctx.accounts.app_password_names(r.session().account().id))
    r.data("specPassword")->attr("name", name);
  co_return;
}

awaitable<void> set_session_option(Request& r) {
  std::string_view name = r.required("name");
  std::string_view value = r.attr("value");
  if (name == "reportMailboxChanges") {
    Session& session = r.session();
    if (!is_yes(value)) {
      session.mailbox_changes.reset();
    } else if (!session.mailbox_changes) {
      std::weak_ptr<Session> weak = r.conn.session;
      session.mailbox_changes = r.ctx.messages.hub().subscribe_account(
          session.account().id, [weak](const std::string& mailbox) {
            std::string message;
            {
              xml::XmlWriter out(message);
              out.open("mailboxModified").attr("mailbox", mailbox).close();
            }
            if (auto live = weak.lock()) live->deliver_async(std::move(message));
          });
    }
  } else if (name == "idleTimeout") {
    long seconds = 0;
    try {
      seconds = std::stol(std::string(value));
    } catch (const std::exception&) {
      throw Failure(ErrorCode::badRequest, "idleTimeout value must be a number of seconds");
    }
    std::chrono::seconds t{seconds};
    r.session().idle_timeout = std::clamp(t, kMinIdleTimeout, kMaxIdleTimeout);
  } else {
    throw Failure(ErrorCode::badRequest, "unknown session option: " + std::string(name));
  }
  co_return;
}

awaitable<void> read_time(Request& r) {
  auto now = now_seconds();
  std::string zone = ops::account_setting(r, "TimeZone", "");
  auto m = r.data("currentTime");
  m->attr("gmtTime", format_ximss_time(now));
  m->attr("localTime", format_local_time(now, zone));
  co_return;
}

void write_login_mark(xml::XmlWriter& w, const char* element, const std::optional<store::LoginMark>& mark,
                      const std::string& zone) {
  if (!mark) return;
  SysSeconds t{std::chrono::seconds{mark->time}};
  w.open(element)
      .attr("gmtTime", format_ximss_time(t))
      .attr("localTime", format_local_time(t, zone))
      .attr("ip", mark->ip)
      .close();
}

awaitable<void> read_status(Request& r) {
  auto account = fresh_account(r);
  std::string zone = ops::account_setting(r, "TimeZone", "");
  auto m = r.data("currentStatus");
  // Mail storage is counted once the mail store exists; until then nothing is used.
  m->open("messageStore").attr("used", int64_t{0}).close();
  m->open("fileStore").close();
  write_login_mark(m.writer(), "PrevLogin", account.prev_login, zone);
  write_login_mark(m.writer(), "LastFailedLogin", account.last_failed, zone);
  // One right covers both Rule sets (PROTOCOL.md "Rules").
  std::string_view rules_allowed = delivery::rules_right_name(delivery::RuleStore(r.ctx.accounts.database()).right(account.id));
  m->element("RulesAllowed", rules_allowed);
  m->element("SignalRulesAllowed", rules_allowed);
  m->element("RPOPAllowed", "NO");
  m->element("RSIPAllowed", "NO");
  m->element("PWDAllowed", "YES");
  m->element("PasswordRecovery", "NO");
  m->element("EncryptedMailboxesAllowed", "NO");
  m->open("timeout").attr("idle", static_cast<int64_t>(r.session().idle_timeout.load().count())).close();
  co_return;
}

awaitable<void> read_session(Request& r) {
  ops::write_session_message(r);
  co_return;
}

awaitable<void> get_session_data(Request& r) {
  const auto& data = r.session().data;
  auto m = r.data("sessionData");
  if (r.has_attr("name")) {
    std::string name(r.attr("name"));
    m->attr("name", name);
    auto it = data.entries.find(name);
    if (it != data.entries.end()) xml::write_xml_value(m.writer(), it->second);
  } else {
    xml::write_xml_value(m.writer(), data);
  }
  co_return;
}

awaitable<void> set_session_data(Request& r) {
  auto& data = r.session().data;
  std::string name(r.attr("name"));
  if (r.has_attr("delete")) {
    if (name.empty()) data.entries.clear();
    else data.entries.erase(name);
    co_return;
  }
  auto value = xml::read_xml_value(r.element);
  auto updated = data;
  if (name.empty()) {
    if (value.kind == xml::XmlValue::Kind::string && value.text.empty()) value = xml::XmlValue::dictionary();
    if (value.kind != xml::XmlValue::Kind::dictionary)
      throw Failure(ErrorCode::badRequest, "session data without a name must be a dictionary");
    updated = std::move(value);
  } else {
    updated.entries[name] = std::move(value);
  }
  std::string rendered;
  {
    xml::XmlWriter w(rendered);
    xml::write_xml_value(w, updated);
  }
  if (rendered.size() > kMaxSessionDataBytes) throw Failure(ErrorCode::limitExceeded, "session data is too large");
  data = std::move(updated);
  co_return;
}

awaitable<void> get_language(Request& r) {
  r.data("language")->text(r.session().language);
  co_return;
}

awaitable<void> set_language(Request& r) {
  std::string_view language = r.required("language");
  if (!r.ctx.strings.has(language)) throw Failure(ErrorCode::notFound, "unknown language: " + std::string(language));
  r.session().language = r.ctx.strings.find(language).language;
  co_return;
}

awaitable<void> list_known_values(Request& r) {
  r.data("knownValues")->raw(r.ctx.known_values.rendered());
  co_return;
}

const Operation kOperations[] = {
    {"passwordModify", password_modify, Access::in_session},
    {"listSpecPasswords", list_spec_passwords, Access::in_session},
    {"setSessionOption", set_session_option, Access::in_session},
    {"readTime", read_time, Access::in_session},
    {"readStatus", read_status, Access::in_session},
    {"readSession", read_session, Access::in_session},
    {"getSessionData", get_session_data, Access::in_session},
    {"setSessionData", set_session_data, Access::in_session},
    {"getLanguage", get_language, Access::in_session},
    {"setLanguage", set_language, Access::in_session},
    {"listKnownValues", list_known_values, Access::in_session},
};

}  // namespace

std::span<const Operation> session_operations() { return kOperations; }

}  // namespace ximssd::ximss
