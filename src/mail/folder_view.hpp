// A Folder View: a mailbox opened by a session under a name of its choosing, its messages in
// the order the view sorts them (B-mailboxes-folders.md sections 4 and 5). A view holds UIDs
// only; what is shown for each message is read from the store when asked for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mail/mailbox_service.hpp"

namespace ximssd::mail {

struct ViewSpec {
  std::string sort_field = "UID";     // a viewer-field name (section 4.2)
  bool descending = false;
  std::vector<std::string> fields;    // the viewer fields folderBrowse reports
  bool hide_deleted = false;          // messages with the Deleted flag are left out
};

struct FolderView {
  std::string name;         // the session's name for the view
  MailboxRef mailbox;       // resolved when opened: owner, record, the actor's rights
  ViewSpec spec;
  std::vector<int64_t> uids;  // the view's messages, in view order
  int64_t unseen = 0;

  bool contains(int64_t uid) const;
};

// Metadata fields, answered from the store's row rather than from the header.
bool is_metadata_field(std::string_view field);

}  // namespace ximssd::mail
