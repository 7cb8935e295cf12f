// `ximssd import mbox FILE --account A --mailbox M` and `ximssd import maildir DIR ...`: loads
// real mail into a mailbox (created when missing), one durable commit per batch.
#include <chrono>
#include <iomanip>
#include <iostream>

#include "base/error.hpp"
#include "base/time_format.hpp"
#include "mail/mailbox_name.hpp"
#include "mail/mbox_import.hpp"
#include "server/admin.hpp"
#include "server/admin_store.hpp"

namespace ximssd::server {

namespace {

int run_import(const CommonOptions& common, const std::string& kind, const std::string& source,
               const std::string& address, const std::string& mailbox_name) {
  AdminStore s(common);
  auto [name, domain] = s.address(address);
  auto account = s.accounts.find_account(name, domain);
  if (!account) throw Failure(ErrorCode::notFound, "unknown account: " + name + "@" + domain);
  std::string mailbox = mail::canonical_mailbox_name(mailbox_name);
  auto& store = *s.store;
  auto record = store.reader().find_mailbox(account->id, mailbox);
  if (!record) {
    int64_t now = now_epoch_seconds();
    store.write_now([&](store::Repository& db) { db.insert_mailbox(account->id, mailbox, "", false, db.next_uid_validity(now)); });
    record = store.reader().find_mailbox(account->id, mailbox);
  }
  if (record->pure_folder) throw Failure(ErrorCode::badRequest, mailbox + " is a folder that cannot hold messages");
  mail::MailboxService mailboxes(store);
  mail::MessageIngest ingest(store, mailboxes, nullptr);
  auto started = std::chrono::steady_clock::now();
  auto report = kind == "mbox" ? mail::import_mbox(ingest, record->id, source)
                               : mail::import_maildir(ingest, record->id, source);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  double mb = static_cast<double>(report.bytes) / 1e6;
  std::cout << "imported " << report.messages << " messages (" << std::fixed << std::setprecision(1) << mb
            << " MB) into " << account->address() << "/" << mailbox << " in " << std::setprecision(2) << seconds
            << " s: " << std::setprecision(0) << (seconds > 0 ? report.messages / seconds : 0) << " messages/s, "
            << std::setprecision(1) << (seconds > 0 ? mb / seconds : 0) << " MB/s\n";
  return 0;
}

}  // namespace

void add_import_command(CLI::App& app, CommonOptions& common, std::function<int()>& action) {
  auto* import = app.add_subcommand("import", "load messages from an mbox file or a Maildir")->require_subcommand(1);
  static std::string source, address, mailbox = "INBOX";
  for (const char* kind : {"mbox", "maildir"}) {
    auto* cmd = import->add_subcommand(kind, std::string("import a ") + (kind == std::string("mbox") ? "mbox file" : "Maildir directory"));
    cmd->add_option("source", source, kind == std::string("mbox") ? "the mbox file" : "the Maildir directory")->required();
    cmd->add_option("--account", address, "name@domain (the default domain when no domain is given)")->required();
    cmd->add_option("--mailbox", mailbox, "the mailbox to append to (created when missing)")->capture_default_str();
    add_common(cmd, common);
    std::string k = kind;
    cmd->callback([&common, &action, k] {
      action = [&common, k] { return run_import(common, k, source, address, mailbox); };
    });
  }
}

}  // namespace ximssd::server
