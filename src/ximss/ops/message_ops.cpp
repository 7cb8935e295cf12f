// Message operations: messageAppend (composing the message from its XML form). Reading and
// changing stored messages go through Folder Views (folderOpen), which the folder operations
// provide.
#include <boost/asio/use_awaitable.hpp>

#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/mailbox_name.hpp"
#include "mail/message_flags.hpp"
#include "mime/compose.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

awaitable<void> message_append(Request& r) {
  if (r.has_attr("folder"))
    throw Failure(ErrorCode::notFound, "unknown folder view: " + std::string(r.attr("folder")));
  std::string mailbox(r.required("targetMailbox"));
  pugi::xml_node email = r.element.child("EMail");
  if (!email) throw Failure(ErrorCode::badRequest, "messageAppend needs an EMail element");
  auto actor = ops::actor_of(r);

  mail::IncomingMessage message;
  message.flags = mail::parse_flag_list(r.attr("flags"));
  if (r.has_attr("internalDate")) {
    auto when = parse_ximss_time(r.attr("internalDate"));
    if (!when) throw Failure(ErrorCode::badRequest, "internalDate is not a time stamp (YYYYMMDDTHHMMSS)");
    message.internal_date = when->time_since_epoch().count();
  }
  mime::ComposeOptions options;
  options.find_upload = [&r](std::string_view id) -> const mime::UploadedFile* {
    auto it = r.session().uploads.find(std::string(id));
    return it == r.session().uploads.end() ? nullptr : &it->second;
  };
  options.host = r.ctx.default_domain;
  options.now = now_epoch_seconds();
  message.bytes = mime::compose_message(email, options);

  // With mailboxClass (even empty) a missing target mailbox is created first.
  if (r.has_attr("mailboxClass") && !r.ctx.mailboxes.resolve(actor, mailbox).record)
    co_await r.ctx.mailboxes.create(actor, mailbox, std::string(r.attr("mailboxClass")));
  co_await r.ctx.ingest.append(actor, mailbox, std::move(message));
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
    {"listUploaded", list_uploaded, Access::in_session},
    {"clearUploaded", clear_uploaded, Access::in_session},
};

}  // namespace

std::span<const Operation> message_operations() { return kOperations; }

}  // namespace ximssd::ximss
