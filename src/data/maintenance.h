// Offline and online maintenance of a data directory: backup, restore and
// check (`hearth data backup|restore|check`).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "data/data_dir.h"

namespace hearth::data {

struct BackupSummary {
  size_t blobs = 0;
  uint64_t bytes = 0;
};

// Copies `dir` into `dest` (which must not exist, or be an empty directory):
// a consistent snapshot of the database through SQLite's online backup API
// (safe while the node is serving), then the blob key and every blob present
// at that moment. Blobs are immutable and never deleted, so every blob an
// event in the snapshot refers to is copied. Files are fsynced.
Result<BackupSummary> BackupDataDir(const DataDir& dir, const std::string& dest);

// What `hearth data check` found; ok() when `problems` is empty.
struct CheckReport {
  int schema_version = 0;
  size_t blobs_checked = 0;
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// Runs the database integrity check and reads every blob back, verifying
// each chunk and its hash. Does not modify the directory.
Result<CheckReport> CheckDataDir(const DataDir& dir);

// Replaces the contents of `dir` with the backup in `source` after checking
// the backup. Refuses while a node serves `dir`, and refuses to overwrite an
// existing database unless `force`.
Result<BackupSummary> RestoreDataDir(const std::string& source, const DataDir& dir, bool force);

}  // namespace hearth::data
