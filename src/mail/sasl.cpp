#include "mail/sasl.hpp"

#include <gsasl.h>

#include <chrono>

#include "base/error.hpp"
#include "base/random.hpp"
#include "base/text.hpp"

namespace ximssd::mail {

namespace {

// RFC 2195: the server sends a unique msg-id-like string and the client answers
// "user hex(HMAC-MD5(password, challenge))".
class CramMd5Exchange final : public SaslExchange {
 public:
  CramMd5Exchange(SaslServer& server, std::string domain) : server_(server), domain_(std::move(domain)) {}

  Step step(std::string_view client_data, bool present) override {
    if (challenge_.empty()) {
      if (present && !client_data.empty()) return {Step::Kind::failure, {}};
      auto now = std::chrono::system_clock::now().time_since_epoch();
      challenge_ = "<" + std::to_string(random_below(1u << 31)) + "." +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()) +
                   "@" + server_.hostname() + ">";
      return {Step::Kind::challenge, challenge_};
    }
    auto space = client_data.rfind(' ');
    if (space == std::string_view::npos) return {Step::Kind::failure, {}};
    claimed_ = client_data.substr(0, space);
    account_ = server_.resolve(claimed_, domain_);
    if (!account_) return {Step::Kind::failure, {}};
    if (!verify_cram_md5(account_->cram_md5_secret, challenge_, client_data.substr(space + 1)))
      return {Step::Kind::failure, {}};
    return {Step::Kind::success, {}};
  }

 private:
  SaslServer& server_;
  std::string domain_;
  std::string challenge_;
};

// PLAIN and SCRAM-SHA-256 through GNU SASL; the callback answers from the account store.
class GsaslExchange final : public SaslExchange {
 public:
  GsaslExchange(SaslServer& server, Gsasl* ctx, const char* mechanism, std::string domain)
      : server_(server), domain_(std::move(domain)) {
    if (gsasl_server_start(ctx, mechanism, &session_) != GSASL_OK) session_ = nullptr;
    if (session_) gsasl_session_hook_set(session_, this);
  }
  ~GsaslExchange() override {
    if (session_) gsasl_finish(session_);
  }
  bool ok() const { return session_ != nullptr; }

  Step step(std::string_view client_data, bool present) override {
    char* out = nullptr;
    size_t out_len = 0;
    int rc = gsasl_step(session_, present ? client_data.data() : nullptr, present ? client_data.size() : 0,
                        &out, &out_len);
    std::string data = out ? std::string(out, out_len) : std::string();
    gsasl_free(out);
    if (rc == GSASL_NEEDS_MORE) return {Step::Kind::challenge, data};
    if (rc == GSASL_OK && verified_) return {Step::Kind::success, data};
    return {Step::Kind::failure, {}};
  }

  // Answers GNU SASL's questions about the user being authenticated.
  int answer(Gsasl_property prop) {
    switch (prop) {
      case GSASL_VALIDATE_SIMPLE: {
        const char* authid = gsasl_property_fast(session_, GSASL_AUTHID);
        const char* authzid = gsasl_property_fast(session_, GSASL_AUTHZID);
        const char* password = gsasl_property_fast(session_, GSASL_PASSWORD);
        if (!authid || !password) return GSASL_NO_CALLBACK;
        if (!lookup(authid) || !authzid_allowed(authzid)) return GSASL_AUTHENTICATION_ERROR;
        if (!server_.accounts().password_matches(*account_, password)) return GSASL_AUTHENTICATION_ERROR;
        verified_ = true;
        return GSASL_OK;
      }
      case GSASL_SCRAM_ITER:
      case GSASL_SCRAM_SALT:
      case GSASL_SCRAM_STOREDKEY:
      case GSASL_SCRAM_SERVERKEY: {
        const char* authid = gsasl_property_fast(session_, GSASL_AUTHID);
        if (!authid || !lookup(authid)) return GSASL_NO_CALLBACK;
        auto scram = parse_scram_sha256(account_->scram_sha256);
        if (!scram) return GSASL_NO_CALLBACK;
        std::string value = prop == GSASL_SCRAM_ITER      ? std::to_string(scram->iterations)
                            : prop == GSASL_SCRAM_SALT    ? scram->salt_base64
                            : prop == GSASL_SCRAM_STOREDKEY ? scram->stored_key_hex
                                                            : scram->server_key_hex;
        gsasl_property_set(session_, prop, value.c_str());
        // GNU SASL verifies the client proof against these keys itself; reaching a successful
        // final step means it matched.
        verified_ = authzid_allowed(gsasl_property_fast(session_, GSASL_AUTHZID));
        return GSASL_OK;
      }
      default:
        return GSASL_NO_CALLBACK;
    }
  }

 private:
  bool lookup(const char* authid) {
    if (account_ && claimed_ == authid) return true;
    claimed_ = authid;
    account_ = server_.resolve(claimed_, domain_);
    return account_.has_value();
  }
  bool authzid_allowed(const char* authzid) const {
    if (!authzid || !*authzid) return true;
    std::string z = authzid;
    return iequals(z, account_->address()) || iequals(z, account_->name);
  }

  SaslServer& server_;
  std::string domain_;
  Gsasl_session* session_ = nullptr;
  bool verified_ = false;
};

int gsasl_callback(Gsasl*, Gsasl_session* session, Gsasl_property prop) {
  auto* exchange = static_cast<GsaslExchange*>(gsasl_session_hook_get(session));
  return exchange ? exchange->answer(prop) : GSASL_NO_CALLBACK;
}

}  // namespace

SaslServer::SaslServer(AccountService& accounts, std::string default_domain, std::string hostname)
    : accounts_(accounts), default_domain_(std::move(default_domain)), hostname_(std::move(hostname)) {
  if (gsasl_init(&gsasl_) != GSASL_OK) throw Failure(ErrorCode::internal, "cannot initialise GNU SASL");
  gsasl_callback_set(gsasl_, gsasl_callback);
}

SaslServer::~SaslServer() { gsasl_done(gsasl_); }

std::vector<std::string> SaslServer::mechanisms(bool secure) const {
  std::vector<std::string> out{"CRAM-MD5", "SCRAM-SHA-256"};
  if (secure) out.emplace_back("PLAIN");
  return out;
}

std::unique_ptr<SaslExchange> SaslServer::start(std::string_view mechanism, bool secure, std::string_view domain) {
  std::string domain_name = domain.empty() ? default_domain_ : std::string(domain);
  if (iequals(mechanism, "CRAM-MD5")) return std::make_unique<CramMd5Exchange>(*this, domain_name);
  const char* name = iequals(mechanism, "SCRAM-SHA-256") ? "SCRAM-SHA-256"
                     : (iequals(mechanism, "PLAIN") && secure) ? "PLAIN"
                                                               : nullptr;
  if (!name) return nullptr;
  auto exchange = std::make_unique<GsaslExchange>(*this, gsasl_, name, domain_name);
  if (!exchange->ok()) return nullptr;
  return exchange;
}

std::optional<AccountRecord> SaslServer::resolve(std::string_view login_name, std::string_view domain) {
  auto [name, at_domain] = split_address(login_name);
  if (name.empty()) return std::nullopt;
  std::string d = at_domain.empty() ? (domain.empty() ? default_domain_ : std::string(domain)) : at_domain;
  return accounts_.find_account(name, d);
}

}  // namespace ximssd::mail
