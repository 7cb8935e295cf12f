#include "store/postgres/pg_blob_store.hpp"

#include <climits>

#include "base/error.hpp"
#include "store/postgres/pg_backend.hpp"

namespace ximssd::store {

StagedBlob PgBlobStore::stage(std::string_view bytes) {
  StagedBlob blob;
  blob.id = id_of(bytes);
  blob.size = static_cast<int64_t>(bytes.size());
  blob.bytes = std::make_shared<const std::string>(bytes);
  return blob;
}

void PgBlobStore::publish(const std::vector<StagedBlob>&) {}

std::string PgBlobStore::read(std::string_view id) const { return read_prefix(id, SIZE_MAX); }

std::string PgBlobStore::read_prefix(std::string_view id, size_t limit) const {
  auto& db = backend_->thread_connection().db();
  auto r = limit >= static_cast<size_t>(INT_MAX)
               ? db.query("SELECT data FROM blobs WHERE id = $1", PgParams().add(id), true)
               : db.query("SELECT substring(data FROM 1 FOR $2::integer) FROM blobs WHERE id = $1",
                          PgParams().add(id).add(static_cast<int64_t>(limit)), true);
  if (r.empty()) throw Failure(ErrorCode::notFound, "no such message body");
  return r.text(0, 0);
}

bool PgBlobStore::exists(std::string_view id) const {
  return !backend_->thread_connection().db().query("SELECT 1 FROM blobs WHERE id = $1", PgParams().add(id)).empty();
}

std::optional<size_t> PgBlobStore::collect_unreferenced(std::chrono::seconds grace) {
  auto cutoff = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch() - grace);
  auto r = backend_->thread_connection().db().query(
      "DELETE FROM blobs b WHERE created < $1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)",
      PgParams().add(static_cast<int64_t>(cutoff.count())));
  return static_cast<size_t>(r.affected());
}

void pg_store_bodies(PgRepository& repo, const std::vector<StagedBlob>& blobs) {
  for (const auto& blob : blobs) {
    if (!blob.bytes) continue;
    repo.db().query(
        "INSERT INTO blobs(id, data, created) VALUES ($1, $2, extract(epoch FROM now())::bigint) "
        "ON CONFLICT (id) DO UPDATE SET created = excluded.created",
        PgParams().add(blob.id).add_binary(*blob.bytes));
  }
}

}  // namespace ximssd::store
