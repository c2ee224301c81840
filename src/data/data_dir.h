// The layout of a data directory (mode 0700):
//
//   hearth.db (+ -wal, -shm)   the SQLite store, 0600
//   blob.key                    the blob encryption key, 0600, made on first use
//   blobs/<2 hex>/<64 hex>      encrypted blobs, named by the SHA-256 of their plaintext
//   blobs/tmp/                  uploads in progress (removed on failure and at start)
//   LOCK                        held (flock) by the serving process
#pragma once

#include <string>

#include "common/status.h"

namespace hearth::data {

struct DataDir {
  std::string root;

  std::string db_path() const { return root + "/hearth.db"; }
  std::string key_path() const { return root + "/blob.key"; }
  std::string blobs_dir() const { return root + "/blobs"; }
  std::string lock_path() const { return root + "/LOCK"; }
};

// Creates the directory (0700) if missing.
Result<DataDir> PrepareDataDir(const std::string& root);

// An exclusive advisory lock on a data directory, released on destruction
// (or when the process dies, so a SIGKILLed node never leaves it stale).
class DirLock {
 public:
  // FailedPrecondition when another process holds it.
  static Result<DirLock> Acquire(const DataDir& dir);
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock();

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace hearth::data
