#include "mail/message_service.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "base/error.hpp"
#include "base/text.hpp"
#include "formats/xml/xml_writer.hpp"
#include "mail/message_flags.hpp"
#include "mime/gmime_support.hpp"
#include "mime/viewer_fields.hpp"

namespace ximssd::mail {

using boost::asio::awaitable;

namespace {

// The first address of a cached address list ("Name" <a@b>, Name <a@b>, a@b, ...) as views sort
// it: the display name, else the address; or the address alone. Plain string work: sorting a
// large mailbox by From must not parse every list.
std::string first_address_key(std::string_view list, bool address_only) {
  std::string_view rest = list;
  std::string name;
  if (!rest.empty() && rest.front() == '"') {
    size_t i = 1;
    for (; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
      name += rest[i];
    }
    rest = rest.substr(std::min(rest.size(), i + 1));
  }
  size_t open = rest.find('<');
  size_t comma = rest.find(',');
  if (open != std::string_view::npos && (comma == std::string_view::npos || open < comma)) {
    if (name.empty()) name = trim_whitespace(rest.substr(0, open));
    size_t close = rest.find('>', open);
    std::string address(rest.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1));
    return address_only || name.empty() ? address : name;
  }
  std::string address = trim_whitespace(rest.substr(0, comma));
  return address_only || name.empty() ? address : name;
}

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
  std::string_view address_only = mime::address_only_field(field);
  for (auto [name, cached] : {std::pair{"From", &m.header.from}, {"To", &m.header.to}, {"Cc", &m.header.cc}}) {
    if (field_is(field, name)) return SortKey{0, ascii_lower(first_address_key(*cached, false))};
    if (field_is(address_only, name)) return SortKey{0, ascii_lower(first_address_key(*cached, true))};
  }
  return std::nullopt;
}

// Viewer fields the row caches (decoded at append), answered without reading the message.
std::optional<ViewerField> cached_viewer_field(const store::MessageRecord& m, const std::string& field) {
  if (m.header.header_size <= 0) return std::nullopt;  // a row written without cached fields
  if (field_is(field, "Subject")) return ViewerField{field, to_valid_utf8(m.header.subject), {}};
  if (field_is(field, "Date") && m.header.sent_date) return ViewerField{field, {}, m.header.sent_date};
  std::string_view address_only = mime::address_only_field(field);
  for (auto [name, cached] : {std::pair{"From", &m.header.from}, {"To", &m.header.to}, {"Cc", &m.header.cc}}) {
    if (field_is(field, name)) return ViewerField{field, mime::address_field_value(*cached, false), {}};
    if (field_is(address_only, name))
      return ViewerField{field, mime::address_field_value(*cached, true), {}, mime::address_entries(*cached)};
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

std::shared_ptr<const MailboxSnapshot> MessageService::snapshot(int64_t mailbox_id) {
  // The texts may be read later, from another thread: that loader owns what it needs.
  return hub_.snapshot(
      mailbox_id, [&] { return store_.reader().list_message_keys(mailbox_id); },
      [&store = store_, mailbox_id] { return store.reader().list_message_summaries(mailbox_id); });
}

void MessageService::match_filter(FolderView& view, const std::vector<const store::MessageRecord*>& messages) {
  std::vector<const store::MessageRecord*> undecided;
  for (const auto* m : messages)
    if (!view.filter_matches.contains(m->uid)) undecided.push_back(m);
  if (undecided.empty()) return;
  search::SearchQuery query;
  query.root.kind = search::SearchKeyKind::and_;
  search::SearchKey key;
  if (view.spec.filter_field.empty()) {
    key.kind = search::SearchKeyKind::text;
  } else if (iequals(view.spec.filter_field, "body")) {
    key.kind = search::SearchKeyKind::body;
  } else {
    key.kind = search::SearchKeyKind::header;
    key.field = view.spec.filter_field;
  }
  key.text = *view.spec.filter;
  query.root.children.push_back(std::move(key));
  search::SearchContext context{undecided,
                                [this](const store::MessageRecord& m) { return header_text(m); },
                                [this](const store::MessageRecord& m) { return message_text(m); }};
  for (const auto* m : undecided) view.filter_matches[m->uid] = false;
  for (size_t i : search::evaluate(query, context)) view.filter_matches[undecided[i]->uid] = true;
}

std::vector<const store::MessageRecord*> MessageService::arrange(FolderView& view, const MailboxSnapshot& snapshot) {
  const std::string& field = view.spec.sort_field;
  // Numbers decide most orders; a text sort key or a text filter needs the texts too.
  bool numeric = is_metadata_field(field) || iequals(field, "Date");
  const auto& messages = numeric && !view.spec.filters_text() ? snapshot.messages() : snapshot.with_texts();
  bool descending = view.spec.descending;
  // Every view of the mailbox sorted the same way shares one order until the next change.
  auto order = snapshot.order(ascii_lower(field) + (descending ? "/desc" : "/asc"), [&] {
    std::vector<SortKey> keys;
    keys.reserve(messages.size());
    for (const auto& m : messages) {
      auto key = cached_key(m, field);
      keys.push_back(key ? std::move(*key) : header_key(header_text(m), field));
    }
    MailboxSnapshot::Order positions(messages.size());
    for (uint32_t i = 0; i < positions.size(); ++i) positions[i] = i;
    // Equal keys keep UID order, so a view is the same each time it is opened.
    std::stable_sort(positions.begin(), positions.end(), [&](uint32_t a, uint32_t b) {
      const SortKey& x = keys[a];
      const SortKey& y = keys[b];
      int c = x.number < y.number ? -1 : x.number > y.number ? 1 : x.text.compare(y.text);
      return descending ? c > 0 : c < 0;
    });
    return positions;
  });
  std::vector<const store::MessageRecord*> out;
  out.reserve(order->size());
  bool flag_filter = view.spec.filters_flags();
  for (uint32_t i : *order) {
    const auto& m = messages[i];
    if (m.uid < view.spec.uid_min) continue;
    if (view.spec.hide_deleted && ((m.flags & kDeleted) || view.hidden.contains(m.uid))) continue;
    if (flag_filter && ((m.flags & view.spec.filter_flags_set) != view.spec.filter_flags_set ||
                        (m.flags & view.spec.filter_flags_clear) != 0))
      continue;
    out.push_back(&m);
  }
  if (view.spec.filters_text()) {
    match_filter(view, out);
    std::erase_if(out, [&](const store::MessageRecord* m) { return !view.filter_matches[m->uid]; });
  }
  return out;
}

FolderView MessageService::open_view(const Actor& actor, std::string name, std::string_view mailbox, ViewSpec spec) {
  FolderView view;
  view.name = std::move(name);
  view.mailbox = mailboxes_.require(actor, mailbox, right::read);
  if (view.mailbox.record->pure_folder)
    throw Failure(ErrorCode::badRequest, "the folder holds no messages: " + std::string(mailbox));
  reopen_view(actor, view, std::move(spec));
  return view;
}

void MessageService::reopen_view(const Actor& actor, FolderView& view, ViewSpec spec) {
  auto ref = current_mailbox(actor, view, right::read);
  view.mailbox = ref;
  view.spec = std::move(spec);
  view.hidden.clear();
  view.filter_matches.clear();
  auto shared = snapshot(ref.record->id);
  auto arranged = arrange(view, *shared);
  view.uids.clear();
  view.modseqs.clear();
  view.unseen_bits.clear();
  view.unseen = 0;
  for (const auto* m : arranged) {
    view.uids.push_back(m->uid);
    view.modseqs.push_back(m->modseq);
    view.unseen_bits.push_back(!(m->flags & kSeen));
    if (!(m->flags & kSeen)) ++view.unseen;
  }
}

std::vector<SyncReport> MessageService::synchronise(const Actor& actor, FolderView& view, std::optional<size_t> limit) {
  auto ref = current_mailbox(actor, view, right::read);
  auto shared = snapshot(ref.record->id);
  // With hideDeleted, a message of the view that got Deleted leaves it for good (until reopened).
  if (view.spec.hide_deleted)
    for (int64_t uid : view.uids)
      if (const auto* m = shared->find(uid); m && (m->flags & kDeleted)) view.hidden.insert(uid);
  auto actual = arrange(view, *shared);
  std::unordered_map<int64_t, size_t> actual_position;
  for (size_t i = 0; i < actual.size(); ++i) actual_position.emplace(actual[i]->uid, i);

  // Members that stay: the longest run of the logical list already in the actual order; the
  // others (gone, or moved by a new sort key) are removed, and re-added where they now belong.
  std::vector<size_t> kept_positions;  // indexes into view.uids, forming the run
  {
    std::vector<size_t> candidates;  // indexes into view.uids that are still in the view
    for (size_t i = 0; i < view.uids.size(); ++i)
      if (actual_position.contains(view.uids[i])) candidates.push_back(i);
    // Longest increasing subsequence of their actual positions (patience sorting).
    std::vector<size_t> tails, tail_of, previous(candidates.size(), SIZE_MAX);
    for (size_t c = 0; c < candidates.size(); ++c) {
      size_t position = actual_position[view.uids[candidates[c]]];
      auto it = std::lower_bound(tails.begin(), tails.end(), position,
                                 [&](size_t t, size_t p) { return actual_position[view.uids[candidates[t]]] < p; });
      size_t length = static_cast<size_t>(it - tails.begin());
      if (length > 0) previous[c] = tails[length - 1];
      if (it == tails.end()) tails.push_back(c);
      else *it = c;
    }
    for (size_t c = tails.empty() ? SIZE_MAX : tails.back(); c != SIZE_MAX; c = previous[c])
      kept_positions.push_back(candidates[c]);
    std::reverse(kept_positions.begin(), kept_positions.end());
  }
  std::unordered_set<int64_t> kept;
  for (size_t i : kept_positions) kept.insert(view.uids[i]);

  // Unseen as each entry now is, or as it was last reported when it is gone from the mailbox.
  auto is_unseen = [&](size_t i) {
    const auto* m = shared->find(view.uids[i]);
    return m ? !(m->flags & kSeen) : static_cast<bool>(view.unseen_bits[i]);
  };
  int64_t unseen = 0;
  for (size_t i = 0; i < view.uids.size(); ++i) unseen += is_unseen(i);

  std::vector<SyncReport> reports;
  auto full = [&] { return limit && reports.size() >= *limit; };
  auto report = [&](SyncReport::Kind kind, size_t index, int64_t uid) {
    reports.push_back(SyncReport{kind, index, uid, static_cast<int64_t>(view.uids.size()), unseen});
  };
  // Removals, from the end, so that each index is still the one the client has.
  for (size_t i = view.uids.size(); i-- > 0 && !full();) {
    int64_t uid = view.uids[i];
    if (kept.contains(uid)) continue;
    unseen -= is_unseen(i);
    view.uids.erase(view.uids.begin() + static_cast<ptrdiff_t>(i));
    view.modseqs.erase(view.modseqs.begin() + static_cast<ptrdiff_t>(i));
    view.unseen_bits.erase(view.unseen_bits.begin() + static_cast<ptrdiff_t>(i));
    report(SyncReport::Kind::removed, i, uid);
  }
  // Additions in ascending final position: everything before each is already in place.
  for (size_t j = 0; j < actual.size() && !full(); ++j) {
    const auto* m = actual[j];
    if (kept.contains(m->uid)) continue;
    if (j < view.uids.size() && view.uids[j] == m->uid) continue;  // added by an earlier, limited sync
    unseen += !(m->flags & kSeen);
    view.uids.insert(view.uids.begin() + static_cast<ptrdiff_t>(j), m->uid);
    view.modseqs.insert(view.modseqs.begin() + static_cast<ptrdiff_t>(j), m->modseq);
    view.unseen_bits.insert(view.unseen_bits.begin() + static_cast<ptrdiff_t>(j), !(m->flags & kSeen));
    report(SyncReport::Kind::added, j, m->uid);
  }
  // Updates of what stayed, at their final places.
  for (size_t j = 0; j < view.uids.size() && !full(); ++j) {
    const auto* m = shared->find(view.uids[j]);
    if (!m || m->modseq == view.modseqs[j]) continue;
    view.modseqs[j] = m->modseq;
    view.unseen_bits[j] = !(m->flags & kSeen);
    report(SyncReport::Kind::updated, j, view.uids[j]);
  }
  view.unseen = unseen;
  return reports;
}

store::MessageRecord MessageService::message(const Actor& actor, const FolderView& view, int64_t uid) {
  auto ref = current_mailbox(actor, view, right::read);
  auto found = store_.reader().find_message(ref.record->id, uid);
  if (!found) throw Failure(ErrorCode::notFound, "no message with UID " + std::to_string(uid) + " in " + view.name);
  return std::move(*found);
}

std::vector<std::optional<store::MessageRecord>> MessageService::full_messages(const Actor& actor,
                                                                               const FolderView& view,
                                                                               const std::vector<int64_t>& uids) {
  auto ref = current_mailbox(actor, view, right::read);
  auto& db = store_.reader();
  std::vector<std::optional<store::MessageRecord>> out;
  out.reserve(uids.size());
  for (int64_t uid : uids) out.push_back(db.find_message(ref.record->id, uid));
  return out;
}

std::vector<std::optional<store::MessageRecord>> MessageService::summaries(const Actor& actor, const FolderView& view,
                                                                           const std::vector<int64_t>& uids) {
  auto ref = current_mailbox(actor, view, right::read);
  auto shared = snapshot(ref.record->id);
  std::vector<std::optional<store::MessageRecord>> out;
  out.reserve(uids.size());
  for (int64_t uid : uids) {
    if (!shared->find(uid)) out.emplace_back();
    else if (const auto* m = shared->find_with_texts_if_loaded(uid)) out.emplace_back(*m);
    // Single rows are cheaper than the texts of a whole large mailbox.
    else out.push_back(store_.reader().find_message(ref.record->id, uid));
  }
  return out;
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
    else if (auto cached = cached_viewer_field(m, field)) value = std::move(*cached);
    else {
      if (!header_read) {
        header = mime::parse_message(header_text(m));
        header_read = true;
      }
      if (header) {
        if (auto found = mime::header_field_value(header.get(), field)) {
          value.text = std::move(found->text);
          value.time = found->time;
          value.addresses = std::move(found->addresses);
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

search::SearchProgress MessageService::search(const Actor& actor, const FolderView& view,
                                              const search::SearchQuery& query, const std::vector<size_t>& positions,
                                              const search::SearchBounds& bounds) {
  auto ref = current_mailbox(actor, view, right::read);
  auto shared = snapshot(ref.record->id);
  // The messages searched, in view order; sequence numbers are their places in this list.
  std::vector<const store::MessageRecord*> candidates;
  std::vector<size_t> candidate_positions;
  for (size_t position : positions) {
    if (position >= view.uids.size()) continue;
    if (const auto* m = shared->find_with_texts(view.uids[position])) {
      candidates.push_back(m);
      candidate_positions.push_back(position);
    }
  }
  search::SearchContext context{candidates,
                                [this](const store::MessageRecord& m) { return header_text(m); },
                                [this](const store::MessageRecord& m) { return message_text(m); }};
  auto progress = search::evaluate_partially(query, context, bounds);
  // Back from places in the candidate list to view positions.
  for (auto& match : progress.matches) match = candidate_positions[match];
  if (progress.next) progress.next = *progress.next < candidate_positions.size() ? candidate_positions[*progress.next]
                                                                               : view.uids.size();
  return progress;
}

MailboxChanges MessageService::mailbox_changes(const Actor& actor, const FolderView& view, std::string_view sync_id,
                                               std::optional<size_t> limit, std::optional<int64_t> time_from) {
  auto ref = current_mailbox(actor, view, right::read);
  const auto& box = *ref.record;
  int64_t since = 0, known_uid_next = 0;
  if (sync_id != "0") {
    // "UIDVALIDITY.MODSEQ.UIDNEXT"
    std::vector<int64_t> parts;
    size_t start = 0;
    while (start <= sync_id.size()) {
      size_t dot = sync_id.find('.', start);
      auto number = parse_decimal(sync_id.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
      if (!number) throw Failure(ErrorCode::badRequest, "not a syncID this server gave: " + std::string(sync_id));
      parts.push_back(*number);
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (parts.size() != 3) throw Failure(ErrorCode::badRequest, "not a syncID this server gave: " + std::string(sync_id));
    if (parts[0] == box.uid_validity) {
      since = parts[1];
      known_uid_next = parts[2];
    }
  }
  MailboxChanges out;
  auto& changes = out.changes;
  for (const auto& m : store_.reader().list_message_keys(box.id)) {
    if (m.modseq <= since) continue;
    bool added = m.uid >= known_uid_next;
    if (added && time_from && m.internal_date < *time_from) continue;
    changes.push_back(MailboxChange{added ? MailboxChange::Kind::added : MailboxChange::Kind::flags_updated, m.uid,
                                    m.orig_uid, m.modseq});
  }
  for (const auto& gone : store_.reader().expunged_since(box.id, since))
    if (gone.uid < known_uid_next)  // one the client never saw needs no removal
      changes.push_back(MailboxChange{MailboxChange::Kind::removed, gone.uid, gone.orig_uid, gone.modseq});
  std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.modseq < b.modseq; });
  int64_t reached = box.highest_modseq;
  if (limit && changes.size() > *limit) {
    changes.resize(*limit);
    reached = changes.back().modseq;
    out.has_more = true;
  }
  // Until every change is delivered, what counts as added is still judged by the old UIDNEXT.
  int64_t uid_next = out.has_more ? known_uid_next : box.uid_next;
  out.sync_id = std::to_string(box.uid_validity) + "." + std::to_string(reached) + "." + std::to_string(uid_next);
  return out;
}

awaitable<std::vector<store::FlagChange>> MessageService::mark(const Actor& actor, const FolderView& view,
                                                              std::vector<int64_t> uids, uint32_t add, uint32_t remove) {
  uint32_t touched = add | remove;
  Rights needed = 0;
  if (touched & kSeen) needed |= right::seen;
  if (touched & kDeleted) needed |= right::delete_msg;
  if (touched & ~(kSeen | kDeleted)) needed |= right::write;
  auto ref = current_mailbox(actor, view, needed ? needed : right::read);
  int64_t mailbox_id = ref.record->id;
  auto changed = co_await store_.write<std::vector<store::FlagChange>>(
      [&](store::Repository& db) { return db.update_flags(mailbox_id, uids, add, remove); });
  if (!changed.empty()) hub_.publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return changed;
}

awaitable<store::FlagStoreResult> MessageService::store_flags(const Actor& actor, const FolderView& view,
                                                             std::vector<int64_t> uids, store::FlagStore edit) {
  // Replacing flags touches every flag it governs; adding or removing only the ones named.
  uint32_t touched = edit.mode == store::FlagStore::Mode::replace ? edit.replaced : edit.flags;
  Rights needed = 0;
  if (touched & kSeen) needed |= right::seen;
  if (touched & kDeleted) needed |= right::delete_msg;
  if ((touched & ~(kSeen | kDeleted)) || !edit.keywords.empty()) needed |= right::write;
  auto ref = current_mailbox(actor, view, needed ? needed : right::read);
  int64_t mailbox_id = ref.record->id;
  auto result = co_await store_.write<store::FlagStoreResult>(
      [&](store::Repository& db) { return db.store_flags(mailbox_id, uids, edit); });
  if (!result.changed.empty()) hub_.publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return result;
}

awaitable<std::vector<int64_t>> MessageService::expunge_uids(const Actor& actor, const FolderView& view,
                                                            std::vector<int64_t> uids) {
  auto ref = current_mailbox(actor, view, right::expunge);
  int64_t mailbox_id = ref.record->id;
  auto erased = co_await store_.write<std::vector<int64_t>>([&](store::Repository& db) {
    std::vector<int64_t> deleted;
    for (int64_t uid : uids)
      if (auto m = db.find_message(mailbox_id, uid); m && (m->flags & kDeleted)) deleted.push_back(uid);
    return db.erase_messages(mailbox_id, deleted);
  });
  if (!erased.empty()) hub_.publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return erased;
}

std::vector<int64_t> MessageService::expunged_since(const Actor& actor, const FolderView& view, int64_t modseq) {
  auto ref = current_mailbox(actor, view, right::read);
  std::vector<int64_t> out;
  for (const auto& e : store_.reader().expunged_since(ref.record->id, modseq)) out.push_back(e.uid);
  return out;
}

std::shared_ptr<const MailboxSnapshot> MessageService::current_snapshot(const Actor& actor, const FolderView& view) {
  auto ref = current_mailbox(actor, view, right::read);
  return snapshot(ref.record->id);
}

awaitable<size_t> MessageService::expunge(const Actor& actor, const FolderView& view) {
  auto ref = current_mailbox(actor, view, right::expunge);
  int64_t mailbox_id = ref.record->id;
  auto erased = co_await store_.write<std::vector<int64_t>>([&](store::Repository& db) {
    std::vector<int64_t> deleted;
    for (const auto& m : db.list_message_keys(mailbox_id))
      if (m.flags & kDeleted) deleted.push_back(m.uid);
    return db.erase_messages(mailbox_id, deleted);
  });
  if (!erased.empty()) hub_.publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return erased.size();
}

awaitable<size_t> MessageService::erase(const Actor& actor, const FolderView& view, std::vector<int64_t> uids) {
  auto ref = current_mailbox(actor, view, right::delete_msg | right::expunge);
  int64_t mailbox_id = ref.record->id;
  auto erased = co_await store_.write<std::vector<int64_t>>(
      [&](store::Repository& db) { return db.erase_messages(mailbox_id, uids); });
  if (!erased.empty()) hub_.publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return erased.size();
}

awaitable<std::vector<store::CopiedMessage>> MessageService::copy(const Actor& actor, const FolderView& view,
                                                                 std::vector<int64_t> uids, std::string target,
                                                                 bool move) {
  auto source = current_mailbox(actor, view, move ? right::read | right::delete_msg | right::expunge : right::read);
  auto destination = mailboxes_.require(actor, target, right::insert);
  if (destination.record->pure_folder) throw Failure(ErrorCode::badRequest, "the folder cannot hold messages: " + target);
  int64_t from = source.record->id, to = destination.record->id;
  auto copied = co_await store_.write<std::vector<store::CopiedMessage>>([&](store::Repository& db) {
    auto out = db.copy_messages(from, uids, to);
    if (move && from != to) {
      std::vector<int64_t> originals;
      for (const auto& c : out) originals.push_back(c.source_uid);
      db.erase_messages(from, originals);
    }
    return out;
  });
  if (!copied.empty()) {
    hub_.publish(to, destination.owner_id, destination.local_name);
    if (move && from != to) hub_.publish(from, source.owner_id, source.local_name);
  }
  co_return copied;
}

awaitable<size_t> MessageService::empty_mailbox(const Actor& actor, std::string mailbox, std::optional<int64_t> before) {
  auto ref = mailboxes_.require(actor, mailbox, right::delete_msg | right::expunge);
  int64_t mailbox_id = ref.record->id;
  auto erased = co_await store_.write<std::vector<int64_t>>([&](store::Repository& db) {
    std::vector<int64_t> old;
    for (const auto& m : db.list_message_keys(mailbox_id))
      if (!before || m.internal_date < *before) old.push_back(m.uid);
    return db.erase_messages(mailbox_id, old);
  });
  if (!erased.empty()) hub_.publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return erased.size();
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
