// S/MIME signed parts in message XML (reference: folderRead, "signed parts"): the signature is
// checked with OpenSSL's CMS against the exact bytes that were signed, and each signer whose
// signature holds is shown as an `x509` element inside `SMIMESignature`.
#pragma once

#include <gmime/gmime.h>
#include <openssl/x509.h>

#include <string>

#include "formats/xml/xml_writer.hpp"
#include "mime/render_state.hpp"

namespace ximssd::mime {

// multipart/signed whose protocol is application/(x-)pkcs7-signature, or
// application/(x-)pkcs7-mime with smime-type=signed-data (the content inside the signature).
bool is_smime_signed(GMimeObject* part);

// Completes the MIME element of a signed part, already opened with its usual attributes:
// adds digesterName (or decryptionError when the signature cannot be read), then writes the
// signed content as a child and, after it, SMIMESignature with one x509 per signer whose
// signature matches the content.
void render_smime_signed(xml::XmlWriter& out, GMimeObject* part, const std::string& part_id, RenderState& state);

// <x509 subject="signer's e-mail" version="raw version field" validationError="...">: subject
// and issuer names, validity, and with `with_der` the DER certificate in a <base64> child.
// An empty `validation_error` writes no validationError attribute.
void write_x509_element(xml::XmlWriter& out, X509* certificate, const std::string& validation_error, bool with_der);

}  // namespace ximssd::mime
