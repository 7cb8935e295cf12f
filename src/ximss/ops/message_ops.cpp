// Message operations: messageAppend (composing the message from its XML form, into a mailbox
// or a Folder View, possibly replacing a message), message attributes, and the uploaded-file
// set. Reading stored messages is folderRead, with the other Folder View operations.
#include <boost/asio/use_awaitable.hpp>

#include "base/text.hpp"
#include "formats/xml/xml_value.hpp"
#include "base/time_format.hpp"
#include "mail/mailbox_name.hpp"
#include "mail/message_flags.hpp"
#include "mime/compose.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

std::optional<mail::Replacement> replacement(Request& r) {
  if (!r.has_attr("replacesUID")) {
    if (r.has_attr("replaceMode")) throw Failure(ErrorCode::badRequest, "replaceMode needs replacesUID");
    return std::nullopt;
  }
  if (!r.has_attr("folder")) throw Failure(ErrorCode::badRequest, "replacesUID needs folder");
  mail::Replacement replace{ops::number_attr(r, "replacesUID"), mail::Replacement::Mode::plain};
  std::string_view mode = r.attr("replaceMode");
  if (mode == "checkOld") replace.mode = mail::Replacement::Mode::check_old;
  else if (mode == "copyOrigUID") replace.mode = mail::Replacement::Mode::copy_orig_uid;
  else if (mode == "origUID") replace.mode = mail::Replacement::Mode::orig_uid;
  else if (!mode.empty()) throw Failure(ErrorCode::badRequest, "unknown replaceMode: " + std::string(mode));
  return replace;
}

awaitable<void> message_append(Request& r) {
  pugi::xml_node email = r.element.child("EMail");
  if (!email) throw Failure(ErrorCode::badRequest, "messageAppend needs an EMail element");
  if (r.has_attr("report") && r.attr("report") != "uid")
    throw Failure(ErrorCode::badRequest, "report can only be \"uid\"");
  auto actor = ops::actor_of(r);
  auto replace = replacement(r);
  // `folder` wins over targetMailbox.
  const mail::FolderView* view = r.has_attr("folder") ? &ops::folder_view(r) : nullptr;
  std::string mailbox = view ? view->mailbox.display_name() : std::string(r.required("targetMailbox"));

  mail::IncomingMessage message;
  message.flags = mail::parse_flag_list(r.attr("flags"));
  if (r.has_attr("internalDate")) {
    auto when = parse_ximss_time(r.attr("internalDate"));
    if (!when) throw Failure(ErrorCode::badRequest, "internalDate is not a time stamp (YYYYMMDDTHHMMSS)");
    message.internal_date = when->time_since_epoch().count();
  }
  message.bytes = mime::compose_message(email, ops::compose_options(r));

  // With mailboxClass (even empty) a missing target mailbox is created first.
  if (!view && r.has_attr("mailboxClass") && !r.ctx.mailboxes.resolve(actor, mailbox).record)
    co_await r.ctx.mailboxes.create(actor, mailbox, std::string(r.attr("mailboxClass")));
  auto appended = co_await r.ctx.ingest.append(actor, mailbox, std::move(message), replace);
  if (r.has_attr("report")) {
    auto m = r.data("messageAdded");
    if (view) m->attr("folder", view->name);
    else m->attr("targetMailbox", mailbox);
    m->attr("UID", appended.uid);
  }
}

awaitable<void> message_attr_read(Request& r) {
  auto& view = ops::folder_view(r);
  int64_t uid = ops::number_attr(r, "UID");
  xml::XmlValue attributes = r.ctx.messages.attributes(ops::actor_of(r), view, uid);
  // With field elements, only the attributes they name.
  if (r.element.child("field")) {
    xml::XmlValue chosen = xml::XmlValue::dictionary();
    for (auto field : r.element.children("field")) {
      auto it = attributes.entries.find(trim_whitespace(field.text().get()));
      if (it != attributes.entries.end()) chosen.entries.insert(*it);
    }
    attributes = std::move(chosen);
  }
  auto m = r.data("messageAttrData");
  m->attr("folder", view.name).attr("UID", uid);
  xml::write_xml_value(m.writer(), attributes);
  co_return;
}

awaitable<void> message_attr_write(Request& r) {
  auto& view = ops::folder_view(r);
  int64_t uid = ops::number_attr(r, "UID");
  std::vector<mail::AttributeChange> changes;
  for (auto node : r.element.children()) {
    if (node.type() != pugi::node_element) continue;
    if (std::string_view(node.name()) != "subKey")
      throw Failure(ErrorCode::badRequest, "the attributes must be a dictionary (subKey elements)");
    std::string key = node.attribute("key").value();
    if (key.empty()) throw Failure(ErrorCode::badRequest, "a subKey without a key");
    // <null/> as the value removes the attribute.
    if (node.child("null") && !node.first_child().next_sibling()) changes.emplace_back(key, std::nullopt);
    else changes.emplace_back(key, xml::read_xml_value(node));
  }
  co_await r.ctx.messages.update_attributes(ops::actor_of(r), view, uid, std::move(changes));
}

void write_uploaded_file(Request& r, const std::string& id, const mime::UploadedFile& file) {
  auto m = r.data("uploadedFile");
  m->attr("uploadID", id);
  m->attr_if("fileName", file.file_name);
  m->attr("size", static_cast<int64_t>(file.data.size()));
  m->attr("type", file.type.empty() ? "application" : file.type);
  m->attr_if("subtype", file.subtype);
  m->attr_if("charset", file.charset);
}

awaitable<void> list_uploaded(Request& r) {
  auto& uploads = r.session().uploads;
  if (r.has_attr("uploadID")) {
    auto it = uploads.find(std::string(r.attr("uploadID")));
    if (it == uploads.end()) throw Failure(ErrorCode::notFound, "no uploaded file " + std::string(r.attr("uploadID")));
    write_uploaded_file(r, it->first, it->second);
  } else {
    for (const auto& [id, file] : uploads) write_uploaded_file(r, id, file);
  }
  co_return;
}

awaitable<void> clear_uploaded(Request& r) {
  auto& uploads = r.session().uploads;
  if (r.has_attr("uploadID")) {
    if (!uploads.erase(std::string(r.attr("uploadID"))))
      throw Failure(ErrorCode::notFound, "no uploaded file " + std::string(r.attr("uploadID")));
  } else {
    uploads.clear();
  }
  co_return;
}

const Operation kOperations[] = {
    {"messageAppend", message_append, Access::in_session},
    {"messageAttrRead", message_attr_read, Access::in_session},
    {"messageAttrWrite", message_attr_write, Access::in_session},
    {"listUploaded", list_uploaded, Access::in_session},
    {"clearUploaded", clear_uploaded, Access::in_session},
};

}  // namespace

std::span<const Operation> message_operations() { return kOperations; }

}  // namespace ximssd::ximss
