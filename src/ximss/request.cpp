#include "ximss/request.hpp"

namespace ximssd::ximss {

DataMessage::DataMessage(MessageOutput& out, std::string_view name, std::string_view id)
    : out_(out), writer_(out.buffer()) {
  writer_.open(name);
  if (!id.empty()) writer_.attr("id", id);
}

DataMessage::~DataMessage() {
  writer_.close_all();
  out_.end_message();
}

std::string_view Request::required(const char* name) const {
  std::string_view v = attr(name);
  if (v.empty()) throw Failure(ErrorCode::badRequest, std::string("missing attribute: ") + name);
  return v;
}

void write_response(MessageOutput& out, std::string_view id, const Failure* error, long exe_time_ms) {
  {
    xml::XmlWriter w(out.buffer());
    w.open("response");
    if (!id.empty()) w.attr("id", id);
    if (error) {
      w.attr("errorText", error->what());
      w.attr("errorNum", error->number());
    }
    if (exe_time_ms >= 0) w.attr("exeTime", exe_time_ms);
    w.close();
  }
  out.end_message();
}

}  // namespace ximssd::ximss
