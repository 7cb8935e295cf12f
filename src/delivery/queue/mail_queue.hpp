// The outbound queue (MessageSubmitter): messages to deliver, kept under DATA/queue until every
// recipient is delivered or has failed.
//
// Durability: submit() returns only once the message and its entry are fsynced (QueueFiles), so
// a message the queue acknowledged survives a kill -9. After each attempt the recipients' states
// are written back the same way. Delivery is at least once: a recipient delivered just before a
// crash, whose state was not yet written, is delivered again after the restart.
//
// Delivery: a runner coroutine on the io_context (serialized by a strand) starts the entries that
// are due, at most queue.concurrency at a time; a timer wakes it for the next one. Each attempt
// sends to local accounts through the LocalDeliverer, and to remote recipients over SMTP: through
// queue.relay_host when set, else to each domain's MX hosts (c-ares), one session per domain.
// 2xx: delivered; 5xx: failed; 4xx or no connection: tried again after queue.first_retry,
// doubling up to queue.max_retry, until the entry is older than queue.max_age (then failed).
// When no recipient is left pending the sender gets a delivery-status notification (failures,
// and successes that asked NOTIFY=SUCCESS) unless the reverse-path is empty, and the entry goes.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "delivery/delivery_settings.hpp"
#include "delivery/envelope.hpp"
#include "delivery/queue/queue_entry.hpp"
#include "delivery/queue/queue_files.hpp"

namespace ximssd::delivery {

struct MailQueueOptions {
  QueueSettings settings;
  std::filesystem::path dir;    // DATA/queue
  std::string host_name;        // Reporting-MTA, Message-IDs, the default EHLO name
  std::string postmaster;       // the From of delivery-status notifications
  // Whether this server serves the domain (its recipients wait for local delivery when no
  // LocalDeliverer is connected, rather than going out over SMTP).
  std::function<bool(std::string_view domain)> is_local_domain;
};

class MailQueue : public MessageSubmitter {
 public:
  MailQueue(boost::asio::io_context& io, boost::asio::thread_pool& blocking, MailQueueOptions options,
            LocalDeliverer* local = nullptr);
  ~MailQueue() override;

  // Connects local delivery (null: local recipients wait, failing temporarily). Before start().
  void set_local_deliverer(LocalDeliverer* local) { local_ = local; }

  // Loads the entries under the queue directory (blocking; at server start) and starts the runner.
  void start();

  boost::asio::awaitable<std::string> submit(Envelope envelope, std::string message, Source source) override;

 private:
  struct Item {
    QueueEntry entry;
    bool busy = false;  // an attempt is running
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> attempt(std::shared_ptr<Item> item);
  boost::asio::awaitable<void> deliver_pending(QueueEntry& entry, std::shared_ptr<const std::string> message);
  boost::asio::awaitable<void> deliver_remote(QueueEntry& entry, const std::vector<size_t>& which,
                                              std::string domain, std::shared_ptr<const std::string> message);
  // Sends the DSN (when one is due) and removes the entry. False when that could not be done.
  boost::asio::awaitable<bool> finish(QueueEntry& entry, const std::string& message);
  void record(QueueEntry& entry, size_t index, const Outcome& outcome, const std::string& remote_mta, bool local);
  void schedule_retry(QueueEntry& entry);
  void wake();

  boost::asio::thread_pool& blocking_;
  MailQueueOptions options_;
  LocalDeliverer* local_;
  QueueFiles files_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::map<std::string, std::shared_ptr<Item>> entries_;  // touched on the strand only
  unsigned active_ = 0;
};

}  // namespace ximssd::delivery
