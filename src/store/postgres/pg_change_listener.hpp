// The other nodes' changes: a thread with its own connection LISTENing on the change channel.
// Each notification names the mailboxes a commit changed; those from this process are ignored.
// When the connection is lost, it reconnects (once a second) and then reports that everything
// may have changed, since notifications sent meanwhile are gone.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "store/backend.hpp"

namespace ximssd::store {

class PgChangeListener {
 public:
  PgChangeListener(std::string conninfo, std::string origin, Backend::RemoteChanges changes);
  ~PgChangeListener();  // stops the thread
  PgChangeListener(const PgChangeListener&) = delete;
  PgChangeListener& operator=(const PgChangeListener&) = delete;

 private:
  void run();

  std::string conninfo_;
  std::string origin_;
  Backend::RemoteChanges changes_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ximssd::store
