#include "data/sqlite_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace hearth::data::sqlite {

Status Error(sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  const std::string msg = db ? sqlite3_errmsg(db) : "no database handle";
  const int primary = code & 0xff;
  std::string text = fmt::format("{}: {} (sqlite code {})", what, msg, code);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(std::move(text));
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(std::move(text));
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) return Status::IoError(std::move(text));
  return Status::Internal(std::move(text));
}

Status Exec(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return Error(db, fmt::format("executing '{}'", text.substr(0, 80)));
  }
  return Status::Ok();
}

Result<sqlite3*> OpenConnection(const std::string& path, bool create) {
  if (create) {
    // SQLite would create the file with the umask's mode; personal data is 0600.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IoError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    ::close(fd);
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status s = Error(db, fmt::format("cannot open database {}", path));
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 10'000);
  sqlite3_extended_result_codes(db, 1);
  Status s = Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (!s.ok()) {
    sqlite3_close(db);
    return s.WithContext(path);
  }
  return db;
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Result<Stmt> Stmt::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return Error(db, fmt::format("preparing '{}'", sql.substr(0, 80)));
  }
  return Stmt(db, stmt);
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, fmt::format("running '{}'", std::string_view(sqlite3_sql(stmt_)).substr(0, 80)));
}

Status Stmt::Run() {
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

std::string Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

Status CheckIntegrity(sqlite3* db) {
  std::string problems;
  int count = 0;
  {
    HEARTH_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, "PRAGMA integrity_check(20)"));
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::string line = stmt.Text(0);
      if (line == "ok") continue;
      problems += (count++ ? "; " : "") + line;
    }
  }
  {
    HEARTH_ASSIGN_OR_RETURN(Stmt stmt, Stmt::Prepare(db, "PRAGMA foreign_key_check"));
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      problems += (count++ ? "; " : "") + fmt::format("row {} of table {} refers to a missing {} row", stmt.Int(1),
                                                      stmt.Text(0), stmt.Text(2));
      if (count >= 20) break;
    }
  }
  if (count > 0) return Status::Corruption(fmt::format("database integrity check failed: {}", problems));
  return Status::Ok();
}

Status BackupDatabase(sqlite3* src, const std::string& dest_path) {
  struct stat st;
  if (::stat(dest_path.c_str(), &st) == 0) {
    return Status::AlreadyExists(fmt::format("backup target {} already exists", dest_path));
  }
  int fd = ::open(dest_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(fmt::format("cannot create {}: {}", dest_path, std::strerror(errno)));
  ::close(fd);
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(dest_path.c_str(), &dest, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    Status s = Error(dest, fmt::format("cannot open {}", dest_path));
    sqlite3_close(dest);
    return s;
  }
  Status result;
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", src, "main");
  if (backup == nullptr) {
    result = Error(dest, "starting the online backup");
  } else {
    // One step over all pages: a single read transaction, so one snapshot.
    int rc;
    while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) result = Error(dest, fmt::format("copying the database into {}", dest_path));
  }
  // Fold the copy's log into its file, so the backup is one self-contained file.
  if (result.ok()) result = Exec(dest, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(dest);
  return result;
}

}  // namespace hearth::data::sqlite
