// The one error model of the domain layer: a code from the XIMSS error set plus a human text.
// Domain code throws Failure; each protocol adapter catches it and renders it on its wire
// (XIMSS: errorText/errorNum). The numbers are listed in docs/PROTOCOL.md.
#pragma once

#include <stdexcept>
#include <string>

namespace ximssd {

enum class ErrorCode : int {
  unknownCommand = 500,    // no handler for the request element
  badRequest = 501,        // a required attribute is missing or a value is malformed
  malformedMessage = 502,  // the frame is not a well-formed XML document, or not UTF-8
  messageTooLarge = 503,   // the frame exceeds the configured size limit
  notAuthenticated = 510,  // the operation needs a logged-in session
  alreadyAuthenticated = 511,
  authenticationFailed = 515,
  encryptionRequired = 516,  // cleartext credentials refused on an insecure connection
  permissionDenied = 520,
  notFound = 530,
  alreadyExists = 531,
  limitExceeded = 540,
  unavailable = 550,  // the feature is not configured on this server
  internal = 599,
};

class Failure : public std::runtime_error {
 public:
  Failure(ErrorCode code, const std::string& text) : std::runtime_error(text), code_(code) {}
  ErrorCode code() const noexcept { return code_; }
  int number() const noexcept { return static_cast<int>(code_); }

 private:
  ErrorCode code_;
};

}  // namespace ximssd
