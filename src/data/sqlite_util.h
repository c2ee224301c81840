// Thin RAII helpers over the SQLite C API, used by the SQLite store and the
// maintenance commands. Errors become Status values naming the statement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "common/status.h"

namespace hearth::data::sqlite {

// Status for the last error on `db`, prefixed with `what`.
Status Error(sqlite3* db, std::string_view what);

// Runs one or more statements that return no rows we need.
Status Exec(sqlite3* db, std::string_view sql);

// Opens `path` read-write (creating it 0600 when `create`), with the
// durability settings every Hearth connection uses: WAL, synchronous=FULL,
// foreign keys on, a busy timeout. The caller owns the handle.
Result<sqlite3*> OpenConnection(const std::string& path, bool create);

// A prepared statement; finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& other) noexcept;
  ~Stmt() { sqlite3_finalize(stmt_); }

  static Result<Stmt> Prepare(sqlite3* db, std::string_view sql);

  // Binding positions are 1-based, as in SQLite.
  void BindInt(int pos, int64_t v) { sqlite3_bind_int64(stmt_, pos, v); }
  void BindDouble(int pos, double v) { sqlite3_bind_double(stmt_, pos, v); }
  void BindText(int pos, std::string_view v) {
    sqlite3_bind_text(stmt_, pos, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int pos, std::string_view v) {
    sqlite3_bind_blob(stmt_, pos, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindNull(int pos) { sqlite3_bind_null(stmt_, pos); }

  // Next row: true if a row is ready, false when done; errors as Status.
  Result<bool> Step();
  // Steps until done (for statements without rows).
  Status Run();
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs PRAGMA integrity_check and foreign_key_check on `db`; Corruption with
// the first problems listed when anything is wrong.
Status CheckIntegrity(sqlite3* db);

// Copies `src` into a new database file at `dest_path` with the online
// backup API (one consistent snapshot). `dest_path` must not exist.
Status BackupDatabase(sqlite3* src, const std::string& dest_path);

}  // namespace hearth::data::sqlite
