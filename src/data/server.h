// The data node's HTTP API (docs/API.md): ingest, blobs, reads, stats,
// health. Every endpoint needs a bearer token with the right scope.
//
// Lifecycle: Open() prepares the directory (0700), takes its lock, opens the
// store and the blob store and removes interrupted uploads; Bind() picks the
// port (0 = any free port); Serve() blocks until Stop() is called from
// another thread (e.g. a signal watcher). In-flight requests finish before
// Serve() returns.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "data/event_wire.h"

namespace hearth::data {

struct ServerOptions {
  std::string dir;
  std::string host = "127.0.0.1";
  int port = 8710;
  IngestLimits limits;
};

class DataServer {
 public:
  static Result<std::unique_ptr<DataServer>> Open(const ServerOptions& options);
  virtual ~DataServer() = default;

  // Binds the listening socket; returns the bound port.
  virtual Result<int> Bind() = 0;
  // Serves until Stop(); returns an error if the server could not run.
  virtual Status Serve() = 0;
  // Safe from any thread, any number of times.
  virtual void Stop() = 0;
};

}  // namespace hearth::data
