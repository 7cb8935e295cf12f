#include "http/ximss_batch.hpp"

#include "ximss/message_runner.hpp"

namespace ximssd::http {

std::string ximss_envelope(std::string_view content, std::optional<uint64_t> resp_seq) {
  std::string out = "<XIMSS";
  if (resp_seq) out += " respSeq=\"" + std::to_string(*resp_seq) + "\"";
  if (content.empty()) return out + "/>";
  out += ">";
  out += content;
  out += "</XIMSS>";
  return out;
}

XimssBatch read_batch(std::string_view body, size_t max_depth) {
  XimssBatch batch;
  batch.doc = std::make_shared<xml::ParsedDocument>();
  ximss::MessageOutput out(batch.error, false);
  if (auto error = xml::parse_message(body, xml::RequestLimits{max_depth}, *batch.doc)) {
    ximss::write_protocol_error(out, error->code, error->text, error->id);
  } else if (std::string_view(batch.doc->root.name()) != "XIMSS") {
    ximss::write_protocol_error(out, ErrorCode::malformedMessage, "the body is not a <XIMSS> document",
                                batch.doc->root.attribute("id").value());
  } else {
    return batch;
  }
  batch.doc.reset();
  return batch;
}

}  // namespace ximssd::http
