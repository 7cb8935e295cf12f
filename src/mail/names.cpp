#include "mail/names.hpp"

#include "base/error.hpp"
#include "base/text.hpp"

namespace ximssd::mail {

namespace {
bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
}  // namespace

void check_account_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    throw Failure(ErrorCode::badRequest, "account name must be 1 to 64 characters");
  for (char c : name)
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
      throw Failure(ErrorCode::badRequest,
                    "account name may contain only letters, digits, '.', '-' and '_'");
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)
    throw Failure(ErrorCode::badRequest, "account name has a misplaced '.'");
}

void check_domain_name(std::string_view name) {
  if (name.empty() || name.size() > 253)
    throw Failure(ErrorCode::badRequest, "domain name must be 1 to 253 characters");
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63) throw Failure(ErrorCode::badRequest, "domain name has an empty or long label");
      if (name[i - 1] == '-') throw Failure(ErrorCode::badRequest, "domain label ends with '-'");
      label = 0;
      continue;
    }
    char c = name[i];
    if (!is_alnum(c) && c != '-') throw Failure(ErrorCode::badRequest, "domain name has an invalid character");
    if (label == 0 && c == '-') throw Failure(ErrorCode::badRequest, "domain label starts with '-'");
    ++label;
  }
}

void check_password_text(std::string_view password) {
  if (password.empty()) throw Failure(ErrorCode::badRequest, "password must not be empty");
  if (password.size() > 256) throw Failure(ErrorCode::badRequest, "password is longer than 256 bytes");
  if (!is_valid_utf8(password)) throw Failure(ErrorCode::badRequest, "password is not valid UTF-8");
  for (char c : password)
    if (static_cast<unsigned char>(c) < 0x20) throw Failure(ErrorCode::badRequest, "password has a control character");
}

void check_email_address(std::string_view address) {
  auto [local, domain] = split_address(address);
  if (local.empty() || domain.empty() || address.size() > 254 || address.find(' ') != std::string_view::npos)
    throw Failure(ErrorCode::badRequest, "not an e-mail address: " + std::string(address));
  check_domain_name(domain);
}

}  // namespace ximssd::mail
