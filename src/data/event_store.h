// The narrow storage interface of the data node.
//
// Everything the node keeps in its database goes through EventStore, so a
// PostgreSQL backend can follow without touching the HTTP layer. The SQLite
// implementation is in sqlite_event_store.h.
//
// Contract shared by every implementation:
// - Append is atomic and durable: when it returns OK, every event of the batch
//   is on stable storage; when it fails, none of the batch was stored.
// - Events are unique per (device, client id). Appending an event whose
//   client id the device already used stores nothing and counts it as a
//   duplicate (the first write wins), so clients can resend after a timeout.
// - Every event gets a sequence number (seq) that never changes and orders
//   events by arrival; later parts (search, embeddings, derived rows) refer
//   to events by it.
// - All methods are safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "data/event.h"
#include "data/search_query.h"

namespace hearth::data {

struct Device {
  int64_t id = 0;
  std::string name;
  uint32_t scopes = 0;
  int64_t created_micros = 0;
  std::optional<int64_t> revoked_micros;
};

struct AppendResult {
  size_t stored = 0;      // events new to the store
  size_t duplicates = 0;  // events whose (device, client id) was already stored
};

// A full-text search: terms from ParseSearchQuery plus filters. Filters are
// exact matches; the time range is [from_micros, to_micros) on the event time.
struct SearchRequest {
  SearchTerms terms;
  std::optional<int64_t> from_micros;
  std::optional<int64_t> to_micros;
  std::optional<std::string> layer;
  std::optional<std::string> kind;
  std::optional<std::string> device;
  size_t limit = 20;
  std::optional<SearchCursor> after;  // resume after this hit
};

struct SearchHit {
  StoredEvent stored;
  double rank = 0;      // lower is better (SQLite bm25 convention)
  std::string snippet;  // matches wrapped in kSnippetOpen / kSnippetClose
};

inline constexpr const char* kSnippetOpen = "**";
inline constexpr const char* kSnippetClose = "**";

struct SearchPage {
  std::vector<SearchHit> hits;      // ordered by (rank, seq)
  std::optional<SearchCursor> next;  // set when more hits may follow
};

struct StoreStats {
  int64_t events = 0;
  std::map<std::string, int64_t> per_layer;
  std::map<std::string, int64_t> per_device;
  int64_t database_bytes = 0;  // database file plus its write-ahead log
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // The schema version this store is at (after migrations).
  virtual int schema_version() const = 0;

  // Devices and their tokens (one token per device; only its hash is kept).
  // AlreadyExists if the name is taken.
  virtual Result<Device> AddDevice(const std::string& name, uint32_t scopes, const std::string& token_hash) = 0;
  virtual Result<std::vector<Device>> ListDevices() = 0;
  // NotFound if no such device; FailedPrecondition if already revoked.
  virtual Status RevokeDevice(const std::string& name) = 0;
  // The live (not revoked) device holding the token with this hash, or nullopt.
  virtual Result<std::optional<Device>> FindDeviceByTokenHash(const std::string& token_hash) = 0;

  // See the contract above. `events` must already be validated.
  virtual Result<AppendResult> Append(int64_t device_id, const std::vector<Event>& events) = 0;

  // Up to `limit` events with seq > after_seq, in seq order.
  virtual Result<std::vector<StoredEvent>> ReadAfter(int64_t after_seq, size_t limit) = 0;
  // The stored event of a device with this client id, or nullopt.
  virtual Result<std::optional<StoredEvent>> FindByClientId(int64_t device_id, const std::string& client_id) = 0;

  // Ranked full-text search over event text (see search_query.h). Pages are
  // keyset-paginated on (rank, seq): no duplicates or gaps while the index is
  // unchanged.
  virtual Result<SearchPage> Search(const SearchRequest& request) = 0;

  virtual Result<StoreStats> Stats() = 0;

  // Verifies the store's internal consistency; the message lists what is wrong.
  virtual Status CheckIntegrity() = 0;

  // Writes a consistent copy of the database to `path` (which must not
  // exist), while other threads and processes keep reading and writing.
  virtual Status BackupTo(const std::string& path) = 0;
};

}  // namespace hearth::data
