#include "data/maintenance.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/paths.h"
#include "data/blob_store.h"
#include "data/sqlite_event_store.h"
#include "data/sqlite_util.h"

namespace hearth::data {
namespace {

namespace fs = std::filesystem;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Copies a file to a new path with mode 0600 and fsyncs it.
Status CopyFileDurably(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::IoError(fmt::format("cannot open {}: {}", from, std::strerror(errno)));
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(in);
    return Status::IoError(fmt::format("cannot create {}: {}", to, std::strerror(errno)));
  }
  Status s;
  char buf[1 << 16];
  while (s.ok()) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::IoError(fmt::format("cannot read {}: {}", from, std::strerror(errno)));
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && s.ok();) {
      ssize_t w = ::write(out, buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) s = Status::IoError(fmt::format("cannot write {}: {}", to, std::strerror(errno)));
      else done += w;
    }
  }
  if (s.ok() && ::fsync(out) != 0) s = Status::IoError(fmt::format("cannot fsync {}: {}", to, std::strerror(errno)));
  ::close(in);
  ::close(out);
  return s;
}

// Copies the key and blobs (not blobs/tmp) of `from` into `to`.
Result<BackupSummary> CopyBlobs(const DataDir& from, const DataDir& to) {
  BackupSummary summary;
  if (!Exists(from.key_path())) return summary;  // no blob was ever stored
  HEARTH_RETURN_IF_ERROR(CopyFileDurably(from.key_path(), to.key_path()));
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(to.blobs_dir() + "/tmp"));
  std::error_code ec;
  for (const auto& sub : fs::directory_iterator(from.blobs_dir(), ec)) {
    const std::string name = sub.path().filename().string();
    if (name == "tmp" || !sub.is_directory()) continue;
    const std::string target_dir = to.blobs_dir() + "/" + name;
    HEARTH_RETURN_IF_ERROR(EnsureDirectory(target_dir));
    for (const auto& f : fs::directory_iterator(sub.path(), ec)) {
      HEARTH_RETURN_IF_ERROR(CopyFileDurably(f.path().string(), target_dir + "/" + f.path().filename().string()));
      ++summary.blobs;
      summary.bytes += f.file_size(ec);
    }
    HEARTH_RETURN_IF_ERROR(SyncDirectory(target_dir));
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", from.blobs_dir(), ec.message()));
  HEARTH_RETURN_IF_ERROR(SyncDirectory(to.blobs_dir()));
  return summary;
}

bool IsEmptyDir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_empty(path, ec);
}

}  // namespace

Result<BackupSummary> BackupDataDir(const DataDir& dir, const std::string& dest) {
  if (!Exists(dir.db_path())) return Status::NotFound(fmt::format("no database in {}", dir.root));
  if (Exists(dest) && !IsEmptyDir(dest)) {
    return Status::AlreadyExists(fmt::format("backup target {} exists and is not empty", dest));
  }
  HEARTH_ASSIGN_OR_RETURN(DataDir out, PrepareDataDir(dest));
  HEARTH_ASSIGN_OR_RETURN(auto store, OpenSqliteEventStore(dir.db_path()));
  HEARTH_RETURN_IF_ERROR(store->BackupTo(out.db_path()));
  HEARTH_ASSIGN_OR_RETURN(BackupSummary summary, CopyBlobs(dir, out));
  struct stat st;
  if (::stat(out.db_path().c_str(), &st) == 0) summary.bytes += static_cast<uint64_t>(st.st_size);
  HEARTH_RETURN_IF_ERROR(SyncDirectory(out.root));
  return summary;
}

Result<CheckReport> CheckDataDir(const DataDir& dir) {
  CheckReport report;
  if (!Exists(dir.db_path())) return Status::NotFound(fmt::format("no database in {}", dir.root));
  auto version = ReadSchemaVersion(dir.db_path());
  if (!version.ok()) {
    report.problems.push_back(version.status().message());
  } else {
    report.schema_version = *version;
    if (*version > kLatestSchemaVersion) {
      report.problems.push_back(fmt::format("schema version {} is newer than this build supports ({})", *version,
                                            kLatestSchemaVersion));
    }
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(dir.db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    report.problems.push_back(sqlite::Error(db, "cannot open the database").message());
  } else {
    sqlite3_busy_timeout(db, 10'000);
    Status s = sqlite::CheckIntegrity(db);
    if (!s.ok()) report.problems.push_back(s.message());
  }
  sqlite3_close(db);

  std::error_code ec;
  const bool has_blobs = fs::exists(dir.blobs_dir(), ec);
  if (!Exists(dir.key_path())) {
    bool any = false;
    for (const auto& sub : fs::directory_iterator(dir.blobs_dir(), ec)) any = any || sub.path().filename() != "tmp";
    if (has_blobs && any) report.problems.push_back(fmt::format("blob key {} is missing; blobs cannot be read", dir.key_path()));
    return report;
  }
  auto blobs = BlobStore::Open(dir);
  if (!blobs.ok()) {
    report.problems.push_back(blobs.status().message());
    return report;
  }
  auto ids = (*blobs)->List();
  if (!ids.ok()) {
    report.problems.push_back(ids.status().message());
    return report;
  }
  for (const std::string& id : *ids) {
    if (!IsBlobId(id)) {
      report.problems.push_back(fmt::format("unexpected file {}/{}/{}", dir.blobs_dir(), id.substr(0, 2), id));
      continue;
    }
    Status s = (*blobs)->Verify(id);
    ++report.blobs_checked;
    if (!s.ok()) report.problems.push_back(s.message());
  }
  return report;
}

Result<BackupSummary> RestoreDataDir(const std::string& source, const DataDir& dir, bool force) {
  const DataDir src{source};
  HEARTH_ASSIGN_OR_RETURN(CheckReport report, CheckDataDir(src));
  if (!report.ok()) {
    return Status::Corruption(fmt::format("backup {} fails its check: {}", source, report.problems.front()));
  }
  HEARTH_ASSIGN_OR_RETURN(DataDir out, PrepareDataDir(dir.root));
  HEARTH_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(out));
  if (Exists(out.db_path()) && !force) {
    return Status::AlreadyExists(
        fmt::format("{} already holds a database; pass --force to replace it with the backup", out.root));
  }
  // Stage the database beside its final name; drop the old log files before
  // the rename so a stale WAL can never be applied to the restored file.
  const std::string staged = out.db_path() + ".restoring";
  ::unlink(staged.c_str());
  HEARTH_RETURN_IF_ERROR(CopyFileDurably(src.db_path(), staged));
  for (const char* suffix : {"-wal", "-shm"}) ::unlink((out.db_path() + suffix).c_str());
  if (::rename(staged.c_str(), out.db_path().c_str()) != 0) {
    return Status::IoError(fmt::format("cannot move {} into place: {}", staged, std::strerror(errno)));
  }
  std::error_code ec;
  fs::remove_all(out.blobs_dir(), ec);
  ::unlink(out.key_path().c_str());
  HEARTH_ASSIGN_OR_RETURN(BackupSummary summary, CopyBlobs(src, out));
  HEARTH_RETURN_IF_ERROR(SyncDirectory(out.root));
  return summary;
}

}  // namespace hearth::data
