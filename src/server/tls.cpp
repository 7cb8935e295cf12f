#include "server/tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace ximssd::server {

namespace {

template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, decltype([](T* p) { Free(p); })>;

void write_pem(const std::filesystem::path& path, auto&& writer, bool secret) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  if (secret) std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  bool ok = writer(f);
  std::fclose(f);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

// An EC P-256 key and a self-signed certificate for `host_name`, valid for ten years.
void generate_self_signed(const std::filesystem::path& cert_path, const std::filesystem::path& key_path,
                          const std::string& host_name) {
  Owned<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("cannot generate a TLS key");
  Owned<X509, X509_free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(host_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("cannot sign the TLS certificate");
  std::filesystem::create_directories(key_path.parent_path());
  write_pem(key_path, [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1; }, true);
  write_pem(cert_path, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; }, false);
}

}  // namespace

std::unique_ptr<boost::asio::ssl::context> make_tls_context(const Config& config, const std::string& host_name) {
  namespace ssl = boost::asio::ssl;
  std::filesystem::path cert = config.tls_certificate.empty() ? config.data_dir / "tls" / "cert.pem"
                                                              : std::filesystem::path(config.tls_certificate);
  std::filesystem::path key = config.tls_private_key.empty() ? config.data_dir / "tls" / "key.pem"
                                                             : std::filesystem::path(config.tls_private_key);
  if (config.tls_certificate.empty() && !std::filesystem::exists(cert)) {
    generate_self_signed(cert, key, host_name);
    std::printf("ximssd: generated a self-signed TLS certificate %s\n", cert.c_str());
  }
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  ctx->use_certificate_chain_file(cert.string());
  ctx->use_private_key_file(key.string(), ssl::context::pem);
  return ctx;
}

}  // namespace ximssd::server
