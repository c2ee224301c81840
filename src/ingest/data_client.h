// DataClient: the one way importers and collectors send events to the data
// node (POST /v1/events, docs/API.md).
//
// Every batch is first made durable in the Spool, then sent; it leaves the
// spool only after the node answered 200. Network errors and 5xx answers
// (503 included) leave the batch queued and start an exponential backoff, so
// a node that is down for an hour loses nothing: the queue is drained when it
// comes back, by this process or the next one using the same spool. Resending
// is safe because the node deduplicates by (device, id): each event arrives
// exactly once.
//
// A 4xx refusal of a batch (invalid events, too large) is permanent: the
// segment moves to DIR/rejected/ and the call returns the node's message.
// 401/403 leave the queue untouched and return the error.
//
// Not thread-safe; one client per process and spool.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ingest/spool.h"

namespace httplib { class Client; }

namespace hearth::ingest {

struct ClientOptions {
  std::string url;        // "http://127.0.0.1:8710"
  std::string token;      // hth_...
  std::string spool_dir;
  size_t batch_events = 1000;
  size_t batch_bytes = 8u << 20;  // well under the node's 64 MiB request limit
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  int timeout_seconds = 60;
};

struct ClientStats {
  uint64_t added = 0;       // events given to Add
  uint64_t stored = 0;      // acknowledged as new by the node
  uint64_t duplicates = 0;  // acknowledged as already stored
  uint64_t batches_sent = 0;
  uint64_t failed_attempts = 0;  // network errors and 5xx answers
};

class DataClient {
 public:
  static Result<std::unique_ptr<DataClient>> Open(const ClientOptions& options);
  ~DataClient();

  // Buffers one wire-format event. A full buffer is sealed into the spool and
  // a send is tried unless the client is backing off. Never blocks on the
  // network for longer than one request.
  Status Add(nlohmann::json event);
  // Seals the buffered events (if any) into the spool.
  Status Seal();
  // Sends queued segments until the queue is empty, the node is unreachable
  // (OK: backoff starts) or an error that retrying cannot fix.
  Status Pump();
  // Seal, then keep sending (sleeping through the backoff) until the queue is
  // empty or `patience` has passed; Unavailable when segments remain queued.
  Status Drain(std::chrono::milliseconds patience);

  size_t queued_segments() const { return spool_.Pending().size(); }
  const ClientStats& stats() const { return stats_; }
  const std::string& spool_dir() const { return spool_.dir(); }

 private:
  DataClient(ClientOptions options, Spool spool);
  // One POST of one segment: OK when acknowledged (segment removed),
  // Unavailable when it should be retried later, other codes are final.
  Status SendOldest();

  ClientOptions options_;
  Spool spool_;
  std::unique_ptr<httplib::Client> http_;
  std::string buffer_;  // NDJSON of the events not yet sealed
  size_t buffered_events_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  ClientStats stats_;
};

// Reads --data/--token defaults: HEARTH_DATA_URL (default
// http://127.0.0.1:8710) and HEARTH_TOKEN.
std::string DefaultDataUrl();
std::string DefaultToken();
// $XDG_DATA_HOME/hearth/spool/<name>
std::string DefaultSpoolDir(const std::string& name);

}  // namespace hearth::ingest
