// A logged-in XIMSS session: who it is, its options and its additional data. A session outlives
// no transport by itself over TCP, but it is its own object so that the HTTP binding can keep
// sessions between requests. Asynchronous messages reach the client through the sink its
// transport attaches; without a sink they wait in a bounded queue.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "formats/xml/xml_value.hpp"
#include "mail/folder_view.hpp"
#include "mime/compose.hpp"
#include "store/records.hpp"

namespace ximssd::ximss {

class Session {
 public:
  Session(std::string url_id, store::AccountRecord account, std::string client_ip,
          std::chrono::seconds idle_timeout);

  const std::string& url_id() const { return url_id_; }
  const store::AccountRecord& account() const { return account_; }
  const std::string& client_ip() const { return client_ip_; }
  std::chrono::system_clock::time_point started() const { return started_; }

  // State below is only touched by the transport that owns the session, in request order.
  xml::XmlValue data = xml::XmlValue::dictionary();
  // While reportMailboxChanges is on: the change hub subscription sending mailboxModified.
  std::shared_ptr<void> mailbox_changes;
  std::chrono::seconds idle_timeout;
  std::string language = "English";
  std::string client_version = "5.4";
  // The uploaded-file set, by uploadID: data sources for composed messages (listUploaded,
  // clearUploaded). HTTP uploads add to it.
  std::map<std::string, mime::UploadedFile> uploads;
  // The open Folder Views, by the names the client gave them.
  std::map<std::string, mail::FolderView> folders;

  // Thread-safe: hands an asynchronous message (a complete XML element) to the client.
  void deliver_async(std::string message);
  // The transport's sink; messages queued while there was none are handed over at once.
  void attach(std::function<void(std::string)> sink);
  void detach();

 private:
  std::string url_id_;
  store::AccountRecord account_;
  std::string client_ip_;
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::mutex mutex_;
  std::function<void(std::string)> sink_;
  std::deque<std::string> pending_;
};

// All live sessions by urlID (for the HTTP binding and for administration).
class SessionRegistry {
 public:
  std::shared_ptr<Session> create(store::AccountRecord account, std::string client_ip,
                                  std::chrono::seconds idle_timeout);
  std::shared_ptr<Session> find(const std::string& url_id);
  void remove(const std::string& url_id);
  size_t size();

 private:
  std::mutex mutex_;
  uint64_t counter_ = 0;
  std::unordered_map<std::string, std::weak_ptr<Session>> sessions_;
};

}  // namespace ximssd::ximss
