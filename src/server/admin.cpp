#include "server/admin.hpp"

#include <sodium.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "base/error.hpp"
#include "base/random.hpp"
#include "base/text.hpp"
#include "server/common_options.hpp"
#include "server/first_start.hpp"
#include "server/admin_store.hpp"
#include "store/store.hpp"

namespace ximssd::server {

namespace {

}  // namespace

void add_admin_commands(CLI::App& app, CommonOptions& common, std::function<int()>& action) {
  auto* domain = app.add_subcommand("domain", "manage domains")->require_subcommand(1);
  {
    static std::string name;
    static bool signup = false;
    auto* add = domain->add_subcommand("add", "create a domain");
    add->add_option("name", name, "domain name")->required();
    add->add_flag("--allow-signup", signup, "let visitors create accounts with XIMSS signup");
    add_common(add, common);
    add->callback([&] {
      action = [&] {
        AdminStore s(common);
        auto d = s.accounts.add_domain(name, signup);
        std::cout << "domain " << d.name << " created" << (signup ? " (signup allowed)" : "") << "\n";
        return 0;
      };
    });
    auto* list = domain->add_subcommand("list", "list domains");
    add_common(list, common);
    list->callback([&] {
      action = [&] {
        AdminStore s(common);
        for (const auto& d : s.accounts.list_domains())
          std::cout << d.name << (d.signup_allowed ? "\tsignup" : "") << "\n";
        return 0;
      };
    });
    static std::string remove_name;
    auto* remove = domain->add_subcommand("remove", "remove a domain and all its accounts");
    remove->add_option("name", remove_name, "domain name")->required();
    add_common(remove, common);
    remove->callback([&] {
      action = [&] {
        AdminStore s(common);
        s.accounts.remove_domain(ascii_lower(remove_name));
        std::cout << "domain " << remove_name << " removed\n";
        return 0;
      };
    });
  }
  auto* account = app.add_subcommand("account", "manage accounts")->require_subcommand(1);
  {
    static std::string address, password, real_name, recovery;
    auto* add = account->add_subcommand("add", "create an account");
    add->add_option("address", address, "name@domain (the default domain when no domain is given)")->required();
    add->add_option("--password", password, "its password (a random one is printed when omitted)");
    add->add_option("--real-name", real_name, "its real name");
    add->add_option("--recovery-email", recovery, "where a forgotten password is sent");
    add_common(add, common);
    add->callback([&] {
      action = [&] {
        AdminStore s(common);
        auto [name, dom] = s.address(address);
        bool generated = password.empty();
        if (generated) password = random_alnum(16);
        auto a = s.accounts.add_account(mail::NewAccount{name, dom, password, real_name, recovery});
        std::cout << "account " << a.address() << " created";
        if (generated) std::cout << " with password " << password;
        std::cout << "\n";
        return 0;
      };
    });
    static std::string list_domain;
    auto* list = account->add_subcommand("list", "list accounts");
    list->add_option("domain", list_domain, "only this domain");
    add_common(list, common);
    list->callback([&] {
      action = [&] {
        AdminStore s(common);
        for (const auto& a : s.accounts.list_accounts(ascii_lower(list_domain)))
          std::cout << a.address() << (a.real_name.empty() ? "" : "\t" + a.real_name) << "\n";
        return 0;
      };
    });
    static std::string remove_address;
    auto* remove = account->add_subcommand("remove", "remove an account");
    remove->add_option("address", remove_address, "name@domain")->required();
    add_common(remove, common);
    remove->callback([&] {
      action = [&] {
        AdminStore s(common);
        auto [name, dom] = s.address(remove_address);
        s.accounts.remove_account(name, dom);
        std::cout << "account " << name << "@" << dom << " removed\n";
        return 0;
      };
    });
    static std::string passwd_address, new_password;
    auto* passwd = account->add_subcommand("passwd", "set an account's password");
    passwd->add_option("address", passwd_address, "name@domain")->required();
    passwd->add_option("--password", new_password, "the new password")->required();
    add_common(passwd, common);
    passwd->callback([&] {
      action = [&] {
        AdminStore s(common);
        auto [name, dom] = s.address(passwd_address);
        s.accounts.set_password(name, dom, new_password);
        std::cout << "password of " << name << "@" << dom << " changed\n";
        return 0;
      };
    });
    // Account settings the user cannot change over XIMSS, such as RulesAllowed.
    static std::string setting_address, setting_key;
    static std::optional<std::string> setting_value;
    auto* setting = account->add_subcommand("setting", "show or set an account setting (such as RulesAllowed)");
    setting->add_option("address", setting_address, "name@domain")->required();
    setting->add_option("key", setting_key, "the setting's name")->required();
    setting->add_option("value", setting_value, "the new value (shows the current one when absent)");
    add_common(setting, common);
    setting->callback([&] {
      action = [&] {
        AdminStore s(common);
        auto [name, dom] = s.address(setting_address);
        auto found = s.accounts.find_account(name, dom);
        if (!found) throw Failure(ErrorCode::notFound, "no account " + name + "@" + dom);
        int64_t id = found->id;
        if (!setting_value) {
          auto value = s.accounts.setting(id, setting_key);
          if (!value) {
            std::cout << setting_key << " is not set\n";
            return 1;
          }
          std::cout << *value << "\n";
          return 0;
        }
        s.accounts.database().write_now([&](store::Repository& repo) { repo.set_account_setting(id, setting_key, *setting_value); });
        std::cout << setting_key << " of " << name << "@" << dom << " set\n";
        return 0;
      };
    });
  }
}

}  // namespace ximssd::server
