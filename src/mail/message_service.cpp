#include "mail/message_service.hpp"

#include <pugixml.hpp>

#include <algorithm>

#include "base/error.hpp"
#include "base/text.hpp"
#include "formats/xml/xml_writer.hpp"
#include "mail/message_flags.hpp"
#include "mime/gmime_support.hpp"
#include "mime/viewer_fields.hpp"

namespace ximssd::mail {

using boost::asio::awaitable;

namespace {

// What a view sorts one message by: a number, or text compared without regard to case.
struct SortKey {
  int64_t number = 0;
  std::string text;
};

bool field_is(std::string_view field, const char* name) { return iequals(field, name); }

// The sort key from the row alone, when the field is cached; nothing when the header is needed.
std::optional<SortKey> cached_key(const store::MessageRecord& m, std::string_view field) {
  if (field_is(field, "UID")) return SortKey{m.uid, {}};
  if (field_is(field, "ORIGUID")) return SortKey{m.orig_uid, {}};
  if (field_is(field, "SIZE")) return SortKey{m.size, {}};
  if (field_is(field, "INTERNALDATE")) return SortKey{m.internal_date, {}};
  if (field_is(field, "FLAGS")) return SortKey{0, flag_names(m.flags)};
  // A message without a Date sorts by its arrival (as IMAP SORT does, RFC 5256).
  if (field_is(field, "Date")) return SortKey{m.header.sent_date.value_or(m.internal_date), {}};
  if (field_is(field, "Subject")) return SortKey{0, ascii_lower(m.header.subject)};
  if (field_is(field, "Message-ID")) return SortKey{0, m.header.message_id};
  for (auto [name, cached] : {std::pair{"From", &m.header.from}, {"To", &m.header.to}, {"Cc", &m.header.cc}}) {
    if (field_is(field, name)) return SortKey{0, ascii_lower(mime::address_field_value(*cached, false))};
    if (field.size() > 2 && field_is(field.substr(2), name) && (field[0] == 'E' || field[0] == 'e') && field[1] == '-')
      return SortKey{0, ascii_lower(mime::address_field_value(*cached, true))};
  }
  return std::nullopt;
}

SortKey header_key(std::string_view header, std::string_view field) {
  auto parsed = mime::parse_message(header);
  if (!parsed) return {};
  auto value = mime::header_field_value(parsed.get(), field);
  if (!value) return {};
  if (value->time) return SortKey{*value->time, {}};
  return SortKey{0, ascii_lower(value->text)};
}

}  // namespace

MailboxRef MessageService::current_mailbox(const Actor& actor, const FolderView& view, Rights needed) {
  auto ref = mailboxes_.require(actor, view.mailbox.display_name(), needed);
  if (ref.record->id != view.mailbox.record->id)
    throw Failure(ErrorCode::notFound, "the mailbox of folder " + view.name + " is gone");
  return ref;
}

FolderView MessageService::open_view(const Actor& actor, std::string name, std::string_view mailbox, ViewSpec spec) {
  FolderView view;
  view.name = std::move(name);
  view.mailbox = mailboxes_.require(actor, mailbox, right::read);
  if (view.mailbox.record->pure_folder)
    throw Failure(ErrorCode::badRequest, "the folder holds no messages: " + std::string(mailbox));
  view.spec = std::move(spec);
  auto messages = store_.reader().list_messages(view.mailbox.record->id);
  if (view.spec.hide_deleted) std::erase_if(messages, [](const store::MessageRecord& m) { return m.flags & kDeleted; });
  std::vector<SortKey> keys;
  keys.reserve(messages.size());
  for (const auto& m : messages) {
    auto key = cached_key(m, view.spec.sort_field);
    keys.push_back(key ? std::move(*key) : header_key(header_text(m), view.spec.sort_field));
    if (!(m.flags & kSeen)) ++view.unseen;
  }
  std::vector<size_t> order(messages.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  bool descending = view.spec.descending;
  // Equal keys keep UID order, so a view is the same each time it is opened.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const SortKey& x = keys[a];
    const SortKey& y = keys[b];
    int c = x.number < y.number ? -1 : x.number > y.number ? 1 : x.text.compare(y.text);
    return descending ? c > 0 : c < 0;
  });
  view.uids.reserve(order.size());
  for (size_t i : order) view.uids.push_back(messages[i].uid);
  return view;
}

store::MessageRecord MessageService::message(const Actor& actor, const FolderView& view, int64_t uid) {
  auto ref = current_mailbox(actor, view, right::read);
  auto found = store_.reader().find_message(ref.record->id, uid);
  if (!found) throw Failure(ErrorCode::notFound, "no message with UID " + std::to_string(uid) + " in " + view.name);
  return std::move(*found);
}

std::string MessageService::message_text(const store::MessageRecord& message) {
  return store_.blobs().read(message.blob_id);
}

std::string MessageService::header_text(const store::MessageRecord& message) {
  return store_.blobs().read_prefix(message.blob_id, static_cast<size_t>(message.header.header_size));
}

std::vector<ViewerField> MessageService::viewer_fields(const FolderView& view, const store::MessageRecord& m) {
  std::vector<ViewerField> out;
  mime::GPtr<GMimeMessage> header;
  bool header_read = false;
  for (const auto& field : view.spec.fields) {
    ViewerField value{field, {}, {}};
    if (field_is(field, "UID")) value.text = std::to_string(m.uid);
    else if (field_is(field, "ORIGUID")) value.text = std::to_string(m.orig_uid);
    else if (field_is(field, "SIZE")) value.text = std::to_string(m.size);
    else if (field_is(field, "FLAGS")) value.text = flag_names(m.flags);
    else if (field_is(field, "INTERNALDATE")) value.time = m.internal_date;
    else {
      if (!header_read) {
        header = mime::parse_message(header_text(m));
        header_read = true;
      }
      if (header) {
        if (auto found = mime::header_field_value(header.get(), field)) {
          value.text = std::move(found->text);
          value.time = found->time;
        }
      }
    }
    out.push_back(std::move(value));
  }
  return out;
}

xml::XmlValue MessageService::attributes(const Actor& actor, const FolderView& view, int64_t uid) {
  return decode_attributes(message(actor, view, uid).attributes);
}

awaitable<void> MessageService::update_attributes(const Actor& actor, const FolderView& view, int64_t uid,
                                                  std::vector<AttributeChange> changes) {
  auto ref = current_mailbox(actor, view, right::write);
  int64_t mailbox_id = ref.record->id;
  co_await store_.write<bool>([&](store::Repository& db) {
    auto found = db.find_message(mailbox_id, uid);
    if (!found) throw Failure(ErrorCode::notFound, "no message with UID " + std::to_string(uid) + " in " + view.name);
    xml::XmlValue dictionary = decode_attributes(found->attributes);
    for (auto& [key, value] : changes) {
      if (value) dictionary.entries[key] = std::move(*value);
      else dictionary.entries.erase(key);
    }
    std::string encoded = encode_attributes(dictionary);
    // Attributes are small metadata, not a second message body.
    if (encoded.size() > 65536) throw Failure(ErrorCode::badRequest, "the message attributes exceed 64 KiB");
    db.set_message_attributes(mailbox_id, uid, encoded);
    return true;
  });
}

std::string encode_attributes(const xml::XmlValue& dictionary) {
  if (dictionary.entries.empty()) return {};
  std::string text;
  {
    xml::XmlWriter out(text);
    out.open("attributes");
    xml::write_xml_value(out, dictionary);
    out.close();
  }
  return text;
}

xml::XmlValue decode_attributes(std::string_view stored) {
  if (stored.empty()) return xml::XmlValue::dictionary();
  pugi::xml_document doc;
  if (!doc.load_buffer(stored.data(), stored.size())) throw Failure(ErrorCode::internal, "stored message attributes are damaged");
  xml::XmlValue value = xml::read_xml_value(doc.child("attributes"));
  if (value.kind != xml::XmlValue::Kind::dictionary) return xml::XmlValue::dictionary();
  return value;
}

}  // namespace ximssd::mail
