// Folder View operations: folderOpen, folderReopen, folderBrowse, folderSync, folderClose (and
// closeMailbox, the name the reference's example uses), folderRead (a stored message or one of
// its parts as XML), and the changes made through a view: messageMark, messageRemove,
// folderExpunge, messageCopy, messageMove, emptyTrash, emptyMailbox. Views live in the session;
// mail/message_service reads and writes the store for them, and its change hub tells every view
// of a changed mailbox.
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"
#include "mail/acl.hpp"
#include "mail/message_flags.hpp"
#include "mail/search/search_parser.hpp"
#include "mime/email_xml.hpp"
#include "mime/gmime_support.hpp"
#include "mime/part_path.hpp"
#include "mime/reply_template.hpp"
#include "ximss/dispatch.hpp"
#include "ximss/ops/common.hpp"

namespace ximssd::ximss {

namespace {

using boost::asio::awaitable;

void write_time_element(xml::XmlWriter& out, const std::string& name, int64_t seconds, const std::string& zone) {
  SysSeconds when{std::chrono::seconds(seconds)};
  out.open(name);
  out.attr("localTime", format_local_time(when, zone));
  out.text(format_ximss_time(when) + "Z");
  out.close();
}

// The view parameters of folderOpen and folderReopen. Viewer fields: the request's, else
// `fields` (folderReopen keeps the view's when it gives none).
mail::ViewSpec view_spec(Request& r, std::vector<std::string> fields, int64_t uid_validity) {
  mail::ViewSpec spec;
  if (r.has_attr("filterField") && !r.has_attr("filter"))
    throw Failure(ErrorCode::badRequest, "filterField needs filter");
  if (r.has_attr("filter")) {
    spec.filter = std::string(r.attr("filter"));
    spec.filter_field = std::string(r.attr("filterField"));
    if (iequals(spec.filter_field, "FLAGS")) {
      auto edit = mail::parse_flag_edits(*spec.filter);
      spec.filter_flags_set = edit.set;
      spec.filter_flags_clear = edit.clear;
    }
  }
  if (r.has_attr("sortField")) spec.sort_field = std::string(r.required("sortField"));
  spec.descending = iequals(r.attr("sortOrder"), "desc");
  // Without hideDeleted, deleted messages are hidden when deleting only marks them.
  spec.hide_deleted = r.has_attr("hideDeleted") ? is_yes(r.attr("hideDeleted"))
                                                : iequals(ops::account_setting(r, "DeleteMode", ""), "Mark");
  // UIDMin narrows the view only while the client's UIDValidity is still the mailbox's.
  if (r.has_attr("UIDValidity") && r.has_attr("UIDMin") && ops::number_attr(r, "UIDValidity") == uid_validity)
    spec.uid_min = ops::number_attr(r, "UIDMin");
  for (auto field : r.element.children("field")) {
    std::string name = trim_whitespace(field.text().get());
    if (name.empty()) throw Failure(ErrorCode::badRequest, "an empty field element");
    spec.fields.push_back(std::move(name));
  }
  if (spec.fields.empty()) spec.fields = std::move(fields);
  return spec;
}

void write_init_report(Request& r, const mail::FolderView& view) {
  auto m = r.data("folderReport");
  m->attr("folder", view.name).attr("mode", "init");
  m->attr("messages", static_cast<int64_t>(view.uids.size()));
  m->attr("unseen", view.unseen);
  m->attr("UIDValidity", view.mailbox.record->uid_validity);
  m->attr("UIDNext", view.mailbox.record->uid_next);
  if (!view.mailbox.own) m->attr("rights", mail::rights_text(view.mailbox.rights));
}

// Tells the session's client, once until its next folderSync, that the view's mailbox changed.
void watch(Request& r, mail::FolderView& view) {
  std::weak_ptr<Session> session = r.conn.session;
  std::string notice;
  {
    xml::XmlWriter out(notice);
    out.open("folderReport").attr("folder", view.name).attr("mode", "notify").close();
  }
  view.subscription = r.ctx.messages.hub().subscribe(
      view.mailbox.record->id, [session, notified = view.notified, notice = std::move(notice)] {
        if (notified->exchange(true)) return;
        if (auto live = session.lock()) live->deliver_async(notice);
      });
}

awaitable<void> folder_open(Request& r) {
  std::string folder(r.required("folder"));
  std::string mailbox = r.has_attr("mailbox") ? std::string(r.required("mailbox")) : folder;
  auto& folders = r.session().folders;
  if (folders.contains(folder)) throw Failure(ErrorCode::alreadyExists, "folder " + folder + " is already open");
  auto actor = ops::actor_of(r);
  // With mailboxClass (even empty) a missing mailbox is created first.
  if (r.has_attr("mailboxClass") && !r.ctx.mailboxes.resolve(actor, mailbox).record)
    co_await r.ctx.mailboxes.create(actor, mailbox, std::string(r.attr("mailboxClass")));
  auto ref = r.ctx.mailboxes.require(actor, mailbox, mail::right::read);
  auto spec = view_spec(r, {}, ref.record->uid_validity);
  // A text filter reads messages: off the network threads. (The result is assigned inside the
  // work, not returned through co_await: see "A compiler defect" in docs/ARCHITECTURE.md.)
  mail::FolderView view;
  auto open = [&] {
    view = r.ctx.messages.open_view(actor, folder, mailbox, spec);
    return true;
  };
  if (spec.filters_text()) co_await run_blocking(r.ctx.blocking, open);
  else open();
  watch(r, view);
  write_init_report(r, view);
  folders.emplace(folder, std::move(view));
}

awaitable<void> folder_reopen(Request& r) {
  auto& view = ops::folder_view(r);
  auto spec = view_spec(r, view.spec.fields, view.mailbox.record->uid_validity);
  auto actor = ops::actor_of(r);
  if (spec.filters_text()) co_await run_blocking(r.ctx.blocking, [&] { r.ctx.messages.reopen_view(actor, view, spec); return true; });
  else r.ctx.messages.reopen_view(actor, view, std::move(spec));
  view.notified->store(false);
  write_init_report(r, view);
  co_return;
}

void write_viewer_fields(Request& r, xml::XmlWriter& out, const mail::FolderView& view, const store::MessageRecord& m,
                         const std::string& zone) {
  for (const auto& field : r.ctx.messages.viewer_fields(view, m)) {
    if (field.time) {
      write_time_element(out, field.name, *field.time, zone);
    } else if (!field.addresses.empty()) {
      // E-To and the like: one element per address, with its real name (as clients read them).
      for (const auto& address : field.addresses) {
        out.open(field.name);
        out.attr_if("realName", address.real_name);
        out.text(address.address);
        out.close();
      }
    } else {
      out.element(field.name, field.text);
    }
  }
}

awaitable<void> folder_sync(Request& r) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  std::optional<size_t> limit;
  if (r.has_attr("limit")) limit = static_cast<size_t>(ops::number_attr(r, "limit"));
  // Cleared before the changes are read: a change made while they are reported notifies again.
  view.notified->store(false);
  std::vector<mail::SyncReport> reports;
  auto compute = [&] {
    reports = r.ctx.messages.synchronise(actor, view, limit);
    return true;
  };
  if (view.spec.filters_text()) co_await run_blocking(r.ctx.blocking, compute);
  else compute();
  // With the limit reached, changes may remain: no notify comes for them until the next sync.
  if (limit && reports.size() >= *limit) view.notified->store(true);
  std::string zone = ops::account_setting(r, "TimeZone", "");
  std::vector<int64_t> uids;
  for (const auto& report : reports) uids.push_back(report.uid);
  auto messages = r.ctx.messages.summaries(actor, view, uids);
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& report = reports[i];
    auto m = r.data("folderReport");
    m->attr("folder", view.name).attr("index", static_cast<int64_t>(report.index)).attr("UID", report.uid);
    using Kind = mail::SyncReport::Kind;
    m->attr("mode", report.kind == Kind::removed ? "removed" : report.kind == Kind::added ? "added" : "updated");
    m->attr("messages", report.messages).attr("unseen", report.unseen);
    if (report.kind != Kind::removed && messages[i]) write_viewer_fields(r, m.writer(), view, *messages[i], zone);
  }
  co_return;
}

// The view positions a message set (B section 4.3) selects, in view order.
std::vector<size_t> selected_positions(Request& r, const mail::FolderView& view) {
  bool by_index = false, by_uid = false;
  std::set<size_t> positions;
  auto bound = [](pugi::xml_node node, const char* name) -> int64_t {
    std::string_view text = node.attribute(name).value();
    auto number = parse_decimal(text);
    if (!number) throw Failure(ErrorCode::badRequest, std::string(name) + " is not a number: " + std::string(text));
    return *number;
  };
  for (auto node : r.element.children()) {
    std::string_view name = node.name();
    if (name != "index" && name != "UID") continue;
    (name == "index" ? by_index : by_uid) = true;
    int64_t from, till;
    if (node.attribute("from") || node.attribute("till")) {
      from = bound(node, "from");
      till = node.attribute("till") ? bound(node, "till") : from;
    } else {
      auto single = parse_decimal(trim_whitespace(node.text().get()));
      if (!single) throw Failure(ErrorCode::badRequest, std::string(name) + " is not a number");
      from = till = *single;
    }
    if (name == "index") {
      int64_t size = static_cast<int64_t>(view.uids.size());
      for (int64_t i = std::max<int64_t>(from, 0); i <= till && i < size; ++i) positions.insert(static_cast<size_t>(i));
    } else {
      for (size_t i = 0; i < view.uids.size(); ++i)
        if (view.uids[i] >= from && view.uids[i] <= till) positions.insert(i);
    }
  }
  if (by_index && by_uid) throw Failure(ErrorCode::badRequest, "a message set holds index or UID elements, not both");
  return {positions.begin(), positions.end()};
}

awaitable<void> folder_browse(Request& r) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  std::string zone = ops::account_setting(r, "TimeZone", "");
  auto positions = selected_positions(r, view);
  std::vector<int64_t> uids;
  for (size_t position : positions) uids.push_back(view.uids[position]);
  auto messages = r.ctx.messages.summaries(actor, view, uids);
  for (size_t i = 0; i < positions.size(); ++i) {
    auto m = r.data("folderReport");
    m->attr("folder", view.name).attr("index", static_cast<int64_t>(positions[i])).attr("UID", uids[i]);
    const auto& message = messages[i];
    if (!message) {
      // Removed from the mailbox, still in the view until the client synchronises it.
      m->attr("mode", "error");
      continue;
    }
    write_viewer_fields(r, m.writer(), view, *message, zone);
  }
  co_return;
}

awaitable<void> mailbox_sync(Request& r) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  r.required("clientID");  // keys carry their own history: any client may use any key it was given
  std::string sync_id(r.required("syncID"));
  std::optional<size_t> limit;
  if (r.has_attr("limit")) limit = static_cast<size_t>(ops::number_attr(r, "limit"));
  std::optional<int64_t> time_from;
  if (r.has_attr("timeFrom")) {
    auto when = parse_ximss_time(r.attr("timeFrom"));
    if (!when) throw Failure(ErrorCode::badRequest, "timeFrom is not a time stamp (YYYYMMDDTHHMMSS)");
    time_from = when->time_since_epoch().count();
  }
  mime::RenderOptions render;
  render.time_zone = ops::account_setting(r, "TimeZone", "");
  if (r.has_attr("totalSizeLimit")) render.total_size_limit = ops::number_attr(r, "totalSizeLimit");
  auto result = r.ctx.messages.mailbox_changes(actor, view, sync_id, limit, time_from);
  using Kind = mail::MailboxChange::Kind;
  std::vector<int64_t> uids;
  for (const auto& change : result.changes) uids.push_back(change.uid);
  auto messages = r.ctx.messages.summaries(actor, view, uids);
  // A new message comes with its content, as folderRead shows it: read and rendered off the
  // network threads, all in one go.
  std::vector<std::string> contents(result.changes.size());
  auto render_added = [&] {
    for (size_t i = 0; i < result.changes.size(); ++i) {
      if (result.changes[i].kind != Kind::added || !messages[i]) continue;
      xml::XmlWriter out(contents[i]);
      mime::render_email(out, r.ctx.messages.message_text(*messages[i]), render);
    }
    return true;
  };
  co_await run_blocking(r.ctx.blocking, render_added);
  for (size_t i = 0; i < result.changes.size(); ++i) {
    const auto& change = result.changes[i];
    auto m = r.data("mailboxSyncReport");
    m->attr("folder", view.name).attr("origUID", change.orig_uid).attr("UID", change.uid);
    m->attr("mode", change.kind == Kind::added ? "added" : change.kind == Kind::removed ? "removed" : "flagsUpdated");
    // A message erased since shows no fields: its removal comes with the next key.
    if (change.kind == Kind::removed || !messages[i]) continue;
    write_viewer_fields(r, m.writer(), view, *messages[i], render.time_zone);
    m->raw(contents[i]);
  }
  auto info = r.data("mailboxSyncReport");
  info->attr("folder", view.name).attr("mode", "info").attr("syncID", result.sync_id);
  if (result.has_more) info->attr("hasMore", "yes");
  co_return;
}

awaitable<void> folder_search(Request& r) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  mail::search::SearchQuery query;
  try {
    query = mail::search::parse_search(r.required("filter"));
  } catch (const mail::search::UnknownCharset& e) {
    throw Failure(ErrorCode::badRequest, "unknown charset: " + e.charset());
  }
  mail::search::SearchBounds bounds;
  if (r.has_attr("limit")) bounds.max_matches = static_cast<size_t>(ops::number_attr(r, "limit"));
  // At most 5 seconds, whatever the client asks for.
  int64_t seconds = r.has_attr("timeout") ? std::min<int64_t>(ops::number_attr(r, "timeout"), 5) : 5;
  bounds.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::max<int64_t>(seconds, 1));
  // The message set limits the search (all of the view without one); the answer uses the same
  // kind of element the set did.
  bool by_index = static_cast<bool>(r.element.child("index"));
  std::vector<size_t> positions;
  if (r.element.child("index") || r.element.child("UID")) {
    positions = selected_positions(r, view);
  } else {
    positions.resize(view.uids.size());
    for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;
  }
  mail::search::SearchProgress progress;
  auto run = [&] {
    progress = r.ctx.messages.search(actor, view, query, positions, bounds);
    return true;
  };
  co_await run_blocking(r.ctx.blocking, run);
  auto m = r.data("folderSearchResult");
  m->attr("folder", view.name);
  if (progress.next && *progress.next < view.uids.size())
    m->attr("next", by_index ? static_cast<int64_t>(*progress.next) : view.uids[*progress.next]);
  for (size_t position : progress.matches) {
    if (by_index) m->element("index", std::to_string(position));
    else m->element("UID", std::to_string(view.uids[position]));
  }
}

std::vector<int64_t> selected_uids(Request& r, const mail::FolderView& view) {
  std::vector<int64_t> uids;
  for (size_t position : selected_positions(r, view)) uids.push_back(view.uids[position]);
  return uids;
}

awaitable<void> message_mark(Request& r) {
  auto& view = ops::folder_view(r);
  auto edit = mail::parse_flag_edits(r.required("flags"));
  // mode="delete": the flags named are cleared, and negative names do nothing.
  uint32_t add = edit.set, remove = edit.clear;
  if (r.attr("mode") == "delete") {
    remove = edit.set;
    add = 0;
  } else if (r.has_attr("mode")) {
    throw Failure(ErrorCode::badRequest, "unknown messageMark mode: " + std::string(r.attr("mode")));
  }
  co_await r.ctx.messages.mark(ops::actor_of(r), view, selected_uids(r, view), add, remove);
}

awaitable<void> message_remove(Request& r) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  std::string mode = r.has_attr("mode") ? std::string(r.attr("mode")) : ops::account_setting(r, "DeleteMode", "Move To Trash");
  std::string trash = ops::account_setting(r, "TrashBox", "Trash");
  auto uids = selected_uids(r, view);
  if (iequals(mode, "Mark")) {
    co_await r.ctx.messages.mark(actor, view, std::move(uids), mail::kDeleted, 0);
  } else if (iequals(mode, "Immediately") || (iequals(mode, "Move To Trash") && view.mailbox.own &&
                                               view.mailbox.local_name == trash)) {
    co_await r.ctx.messages.erase(actor, view, std::move(uids));
  } else if (iequals(mode, "Move To Trash")) {
    if (!r.ctx.mailboxes.resolve(actor, trash).record) co_await r.ctx.mailboxes.create(actor, trash, "");
    co_await r.ctx.messages.copy(actor, view, std::move(uids), trash, true);
  } else {
    throw Failure(ErrorCode::badRequest, "unknown messageRemove mode: " + mode);
  }
}

awaitable<void> folder_expunge(Request& r) {
  co_await r.ctx.messages.expunge(ops::actor_of(r), ops::folder_view(r));
}

awaitable<void> copy_or_move(Request& r, bool move) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  std::string target(r.required("targetMailbox"));
  if (is_yes(r.attr("encrypt")) || is_yes(r.attr("decrypt")))
    throw Failure(ErrorCode::unavailable, "encrypting and decrypting need the S/MIME key store");
  if (r.has_attr("report") && r.attr("report") != "uid") throw Failure(ErrorCode::badRequest, "report can only be \"uid\"");
  if (r.has_attr("mailboxClass") && !r.ctx.mailboxes.resolve(actor, target).record)
    co_await r.ctx.mailboxes.create(actor, target, std::string(r.attr("mailboxClass")));
  auto copied = co_await r.ctx.messages.copy(actor, view, selected_uids(r, view), target, move);
  if (r.has_attr("report"))
    for (const auto& c : copied) r.data("messageAdded")->attr("targetMailbox", target).attr("UID", c.uid);
}

awaitable<void> message_copy(Request& r) { co_await copy_or_move(r, false); }
awaitable<void> message_move(Request& r) { co_await copy_or_move(r, true); }

awaitable<void> empty_trash(Request& r) {
  auto actor = ops::actor_of(r);
  std::string trash = ops::account_setting(r, "TrashBox", "Trash");
  if (!r.ctx.mailboxes.resolve(actor, trash).record) co_return;  // no Trash: nothing to empty
  co_await r.ctx.messages.empty_mailbox(actor, trash, std::nullopt);
}

awaitable<void> empty_mailbox(Request& r) {
  std::string mailbox(r.required("mailbox"));
  std::optional<int64_t> before;
  // duration: messages that arrived more than this many seconds ago go; 0 (or none) means all.
  if (r.has_attr("duration")) {
    int64_t seconds = ops::number_attr(r, "duration");
    if (seconds > 0) before = now_epoch_seconds() - seconds;
  }
  co_await r.ctx.messages.empty_mailbox(ops::actor_of(r), mailbox, before);
}

awaitable<void> folder_close(Request& r) {
  std::string folder(r.required("folder"));
  if (!r.session().folders.erase(folder)) throw Failure(ErrorCode::notFound, "unknown folder view: " + folder);
  co_return;
}

awaitable<void> folder_read(Request& r) {
  auto& view = ops::folder_view(r);
  auto actor = ops::actor_of(r);
  int64_t uid = ops::number_attr(r, "UID");
  std::string part_id(r.attr("partID"));
  mime::RenderOptions options;
  options.time_zone = ops::account_setting(r, "TimeZone", "");
  if (r.has_attr("totalSizeLimit")) options.total_size_limit = ops::number_attr(r, "totalSizeLimit");
  if (r.has_attr("x509")) {
    if (r.attr("x509") != "base64") throw Failure(ErrorCode::badRequest, "x509 can only be \"base64\"");
    options.x509_base64 = true;
  }
  std::optional<mime::TemplateMode> mode;
  if (r.has_attr("mode")) {
    mode = mime::template_mode(r.attr("mode"));
    if (!mode) throw Failure(ErrorCode::badRequest, "unknown folderRead mode: " + std::string(r.attr("mode")));
  }
  mime::TemplateOptions template_options;
  if (mode) {
    const auto& account = r.session().account();
    template_options.time_zone = options.time_zone;
    template_options.own_addresses = {ascii_lower(account.address())};
    template_options.from_address = account.address();
    template_options.from_real_name = account.real_name;
    template_options.folder = view.name;
    template_options.uid = uid;
    template_options.part_id = part_id;
  }
  auto message = r.ctx.messages.message(actor, view, uid);
  // Reading the body and rendering it are the costly part: off the network threads.
  std::string body;
  bool found = co_await run_blocking(r.ctx.blocking, [&] {
    std::string text = r.ctx.messages.message_text(message);
    xml::XmlWriter out(body);
    if (!mode) return mime::render_message_part(out, text, part_id, options);
    // A template answers a message: the stored one, or one enclosed in it (partID).
    auto parsed = mime::parse_message(text);
    if (!parsed) throw Failure(ErrorCode::badRequest, "the message cannot be parsed");
    GMimeMessage* original = parsed.get();
    if (!part_id.empty()) {
      GMimeObject* part = mime::find_part(original, part_id);
      if (!part) return false;
      if (!GMIME_IS_MESSAGE_PART(part) || !g_mime_message_part_get_message(GMIME_MESSAGE_PART(part)))
        throw Failure(ErrorCode::badRequest, "part " + part_id + " is not an enclosed message");
      original = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
    }
    mime::render_template(out, original, *mode, template_options);
    return true;
  });
  if (!found) throw Failure(ErrorCode::notFound, "message " + std::to_string(uid) + " has no part " + part_id);
  auto m = r.data("folderMessage");
  m->attr("folder", view.name).attr("UID", uid);
  m->attr_if("partID", part_id);
  if (mode) m->attr("mode", r.attr("mode"));
  m->raw(body);
}

const Operation kOperations[] = {
    {"folderOpen", folder_open, Access::in_session},
    {"folderBrowse", folder_browse, Access::in_session},
    {"folderClose", folder_close, Access::in_session},
    {"closeMailbox", folder_close, Access::in_session},
    {"folderRead", folder_read, Access::in_session},
    {"folderReopen", folder_reopen, Access::in_session},
    {"folderSync", folder_sync, Access::in_session},
    {"folderSearch", folder_search, Access::in_session},
    {"mailboxSync", mailbox_sync, Access::in_session},
    {"folderExpunge", folder_expunge, Access::in_session},
    {"messageMark", message_mark, Access::in_session},
    {"messageRemove", message_remove, Access::in_session},
    {"messageCopy", message_copy, Access::in_session},
    {"messageMove", message_move, Access::in_session},
    {"emptyTrash", empty_trash, Access::in_session},
    {"emptyMailbox", empty_mailbox, Access::in_session},
};

}  // namespace

std::span<const Operation> folder_operations() { return kOperations; }

}  // namespace ximssd::ximss
