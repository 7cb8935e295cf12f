// Stored messages as a session sees them through its Folder Views: opening a view (the mailbox's
// messages, sorted), the rows and viewer fields of its messages, their text, and their
// attribute dictionaries (messageAttrRead / messageAttrWrite). Every call checks the actor's
// rights in the view's mailbox as they are now, not as they were when the view was opened.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "formats/xml/xml_value.hpp"
#include "mail/folder_view.hpp"
#include "mail/mailbox_service.hpp"
#include "store/store.hpp"

namespace ximssd::mail {

// One viewer field of one message, as folderBrowse reports it.
struct ViewerField {
  std::string name;
  std::string text;
  std::optional<int64_t> time;  // for time fields (Date, INTERNALDATE): seconds since the epoch
};

// A change to a message's attribute dictionary: a new value, or none to remove the key.
using AttributeChange = std::pair<std::string, std::optional<xml::XmlValue>>;

class MessageService {
 public:
  MessageService(store::Store& store, MailboxService& mailboxes) : store_(store), mailboxes_(mailboxes) {}

  // Opens `mailbox` (needs the "r" right) as the view `name`, sorted as `spec` says.
  FolderView open_view(const Actor& actor, std::string name, std::string_view mailbox, ViewSpec spec);

  // The store's row for message `uid` of the view (needs "r"); notFound when it is not there.
  store::MessageRecord message(const Actor& actor, const FolderView& view, int64_t uid);
  // The message's text as stored, whole or its header only.
  std::string message_text(const store::MessageRecord& message);
  std::string header_text(const store::MessageRecord& message);

  // The view's viewer fields for one message (its header is read when a field needs it).
  std::vector<ViewerField> viewer_fields(const FolderView& view, const store::MessageRecord& message);

  // The message's attribute dictionary (needs "r").
  xml::XmlValue attributes(const Actor& actor, const FolderView& view, int64_t uid);
  // Applies `changes` to it (needs "w"), atomically.
  boost::asio::awaitable<void> update_attributes(const Actor& actor, const FolderView& view, int64_t uid,
                                                 std::vector<AttributeChange> changes);

  // The view's mailbox as it is now, with the actor's rights, requiring `needed`.
  MailboxRef current_mailbox(const Actor& actor, const FolderView& view, Rights needed);

 private:
  store::Store& store_;
  MailboxService& mailboxes_;
};

// The attribute dictionary as stored (XML dictionary text), and back.
std::string encode_attributes(const xml::XmlValue& dictionary);
xml::XmlValue decode_attributes(std::string_view stored);

}  // namespace ximssd::mail
