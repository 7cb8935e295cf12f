// A Folder View: a mailbox opened by a session under a name of its choosing, its messages in
// the order the view sorts them (B-mailboxes-folders.md sections 4 and 5). A view holds UIDs
// only; what is shown for each message is read from the store when asked for.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "base/text.hpp"
#include "mail/mailbox_service.hpp"

namespace ximssd::mail {

struct ViewSpec {
  std::string sort_field = "UID";     // a viewer-field name (section 4.2)
  bool descending = false;
  std::vector<std::string> fields;    // the viewer fields folderBrowse reports
  bool hide_deleted = false;          // messages with the Deleted flag are left out
  int64_t uid_min = 0;                // messages with lower UIDs are left out
  // filter / filterField: with filterField FLAGS, flags the messages must have and must not
  // have; otherwise text the named header field ("body": a body part; "": any header field or
  // body part) must contain.
  std::optional<std::string> filter;
  std::string filter_field;
  uint32_t filter_flags_set = 0, filter_flags_clear = 0;

  bool filters_flags() const { return filter && iequals(filter_field, "FLAGS"); }
  // A text filter reads the messages themselves (their headers or bodies).
  bool filters_text() const { return filter && !filters_flags(); }
};

// One change folderSync reports: applied in order, each to the list as already changed by the
// ones before it (B-mailboxes-folders.md section 8).
struct SyncReport {
  enum class Kind { removed, added, updated } kind = Kind::removed;
  size_t index = 0;
  int64_t uid = 0;
  int64_t messages = 0;  // the view's size after this change
  int64_t unseen = 0;    // its unseen messages after this change
};

// One change mailboxSync reports, for the persistent, key-based model (B section 5 mailboxSync).
struct MailboxChange {
  enum class Kind { added, flags_updated, removed } kind = Kind::added;
  int64_t uid = 0;
  int64_t orig_uid = 0;
  int64_t modseq = 0;
};

struct MailboxChanges {
  std::vector<MailboxChange> changes;  // in the order they happened
  std::string sync_id;                 // the key for the next mailboxSync
  bool has_more = false;               // more changes wait beyond the limit
};

struct FolderView {
  std::string name;         // the session's name for the view
  MailboxRef mailbox;       // resolved when opened: owner, record, the actor's rights
  ViewSpec spec;
  // The logical view: the messages the client has been told about, in view order, and the
  // modseq each had when it was last reported (a newer one means "updated" at the next sync).
  std::vector<int64_t> uids;
  std::vector<int64_t> modseqs;
  // Whether each was unseen when last reported: a message erased since still counts as it was
  // until its removal is reported.
  std::vector<bool> unseen_bits;
  int64_t unseen = 0;
  // Messages that got Deleted while hideDeleted was on: out of the view until it is reopened.
  std::unordered_set<int64_t> hidden;
  // The change subscription, and whether a notify went out that no folderSync has answered.
  std::shared_ptr<void> subscription;
  std::shared_ptr<std::atomic<bool>> notified = std::make_shared<std::atomic<bool>>(false);
  // Whether each message's content matches a text filter (content never changes, so a message
  // is read once per view, not at every change).
  std::unordered_map<int64_t, bool> filter_matches;
};

// Metadata fields, answered from the store's row rather than from the header.
bool is_metadata_field(std::string_view field);

}  // namespace ximssd::mail
