#include "mail/message_ingest.hpp"

#include "mime/gmime_support.hpp"
#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/part_content.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

#include "base/error.hpp"
#include "base/run_blocking.hpp"
#include "base/text.hpp"
#include "base/time_format.hpp"

namespace ximssd::mail {

using boost::asio::awaitable;

namespace {


std::string addresses(InternetAddressList* list) {
  if (!list || internet_address_list_length(list) == 0) return {};
  return mime::take_gstring(internet_address_list_to_string(list, nullptr, FALSE));
}

}  // namespace

store::CachedHeader cache_header(std::string_view message) {
  store::CachedHeader out;
  out.header_size = static_cast<int64_t>(mime::header_length(message));
  // The whole message is parsed once: the header fields, the ENVELOPE and the BODYSTRUCTURE all
  // come from this one parse, so that IMAP never parses a stored message to describe it.
  auto owned = mime::parse_message(message);
  if (!owned) return out;
  GMimeMessage* parsed = owned.get();
  if (const char* subject = g_mime_object_get_header(GMIME_OBJECT(parsed), "Subject"))
    out.subject = trim_whitespace(mime::decode_header_text(subject));
  out.from = addresses(g_mime_message_get_from(parsed));
  out.to = addresses(g_mime_message_get_to(parsed));
  out.cc = addresses(g_mime_message_get_cc(parsed));
  if (const char* id = g_mime_message_get_message_id(parsed)) out.message_id = id;
  const char* in_reply_to = g_mime_object_get_header(GMIME_OBJECT(parsed), "In-Reply-To");
  out.in_reply_to = trim_whitespace(in_reply_to ? in_reply_to : "");
  if (GDateTime* date = g_mime_message_get_date(parsed)) out.sent_date = g_date_time_to_unix(date);
  out.imap_envelope = mime::imap_envelope(parsed);
  out.imap_body = mime::imap_bodystructure(parsed, message, false);
  out.imap_bodystructure = mime::imap_bodystructure(parsed, message, true);
  return out;
}

MessageIngest::Prepared MessageIngest::prepare(int64_t mailbox_id, const IncomingMessage& message) {
  if (message.bytes.empty()) throw Failure(ErrorCode::badRequest, "empty message");
  Prepared p;
  p.row.header = cache_header(message.bytes);
  p.blob = store_.blobs().stage(message.bytes);
  p.row.mailbox_id = mailbox_id;
  p.row.blob_id = p.blob.id;
  p.row.size = static_cast<int64_t>(message.bytes.size());
  p.row.internal_date = message.internal_date ? message.internal_date : now_epoch_seconds();
  p.row.flags = message.flags;
  p.row.keywords = message.keywords;
  return p;
}

awaitable<store::AppendedMessage> MessageIngest::append(const Actor& actor, std::string mailbox, IncomingMessage message,
                                                        std::optional<Replacement> replace) {
  auto ref = mailboxes_.require(actor, mailbox, replace ? right::insert | right::delete_msg | right::expunge : right::insert);
  if (ref.record->pure_folder) throw Failure(ErrorCode::badRequest, "the folder cannot hold messages: " + mailbox);
  int64_t mailbox_id = ref.record->id;
  // Parsing and writing the body are blocking work: keep them off the network threads.
  Prepared prepared;
  if (pool_) prepared = co_await run_blocking(*pool_, [&] { return prepare(mailbox_id, message); });
  else prepared = prepare(mailbox_id, message);
  std::vector<store::StagedBlob> blobs{prepared.blob};
  auto appended = co_await store_.write<store::AppendedMessage>(
      [&](store::Repository& db) {
        if (!replace) return db.append_message(prepared.row);
        using Mode = Replacement::Mode;
        auto old = replace->mode == Mode::orig_uid ? db.find_message_by_orig_uid(mailbox_id, replace->uid)
                                                   : db.find_message(mailbox_id, replace->uid);
        if (!old && replace->mode != Mode::plain)
          throw Failure(ErrorCode::notFound, std::string(replace->mode == Mode::orig_uid ? "no message with ORIGUID "
                                                                                           : "no message with UID ") +
                                                 std::to_string(replace->uid));
        if (old && replace->mode != Mode::plain && replace->mode != Mode::check_old) prepared.row.orig_uid = old->orig_uid;
        auto appended = db.append_message(prepared.row);
        if (old) db.erase_message(mailbox_id, old->uid);
        return appended;
      },
      std::move(blobs));
  if (hub_) hub_->publish(mailbox_id, ref.owner_id, ref.local_name);
  co_return appended;
}

std::vector<store::AppendedMessage> MessageIngest::append_batch_now(int64_t mailbox_id,
                                                                    std::vector<IncomingMessage>& messages) {
  // Parsing headers and writing bodies is most of an import's work: spread it over the cores.
  std::vector<std::optional<Prepared>> slots(messages.size());
  std::vector<std::exception_ptr> errors(messages.size());
  unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  {
    std::vector<std::jthread> threads;
    for (unsigned w = 0; w < workers; ++w)
      threads.emplace_back([&, w] {
        for (size_t i = w; i < messages.size(); i += workers) {
          try {
            slots[i].emplace(prepare(mailbox_id, messages[i]));
          } catch (...) {
            errors[i] = std::current_exception();
          }
        }
      });
  }
  std::vector<Prepared> prepared;
  std::vector<store::StagedBlob> blobs;
  prepared.reserve(messages.size());
  for (auto& slot : slots)
    if (slot) {
      blobs.push_back(slot->blob);
      prepared.push_back(std::move(*slot));
    }
  for (auto& error : errors)
    if (error) {
      for (auto& blob : blobs) store_.blobs().discard(blob);
      std::rethrow_exception(error);
    }
  return store_.write_now(
      [&](store::Repository& db) {
        std::vector<store::AppendedMessage> out;
        out.reserve(prepared.size());
        for (auto& p : prepared) out.push_back(db.append_message(p.row));
        return out;
      },
      blobs);
}

}  // namespace ximssd::mail
