// Validation of the names users choose: account names, domain names, passwords.
#pragma once

#include <string>
#include <string_view>

namespace ximssd::mail {

// Throw Failure(badRequest) with a message that says what is wrong.
void check_account_name(std::string_view name);
void check_domain_name(std::string_view name);
void check_password_text(std::string_view password);
void check_email_address(std::string_view address);

}  // namespace ximssd::mail
