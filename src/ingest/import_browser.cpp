// Browser history -> behavioral browser.visit events, read from a private
// copy of the database (the browser keeps its file locked and may be
// writing; a copy also keeps us from ever touching the original).
//
// Epochs differ: Chrome's visits.visit_time counts microseconds since
// 1601-01-01T00:00:00Z (WebKit/Windows FILETIME epoch); Firefox's
// moz_historyvisits.visit_date counts microseconds since 1970 (PRTime).
// Both are UTC; events are written with offset Z.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "ingest/importer.h"

namespace hearth::ingest {
namespace {

constexpr int64_t kWebKitToUnixMicros = 11644473600LL * 1000000;

// A temporary directory holding the copy, removed on destruction.
class Snapshot {
 public:
  ~Snapshot() {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Result<std::string> Copy(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound(fmt::format("{}: no such file", path));
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hearth-import-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return Status::IoError("cannot create a temporary directory");
    dir_ = tmpl;
    const std::string copy = dir_ + "/db";
    std::filesystem::copy_file(path, copy, ec);
    if (ec) return Status::IoError(fmt::format("cannot copy {}: {}", path, ec.message()));
    // A live browser keeps recent visits in the write-ahead log.
    for (const char* suffix : {"-wal", "-journal"}) {
      if (std::filesystem::exists(path + suffix, ec)) std::filesystem::copy_file(path + suffix, copy + suffix, ec);
    }
    return copy;
  }

 private:
  std::string dir_;
};

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};
struct Stmt {
  sqlite3_stmt* st = nullptr;
  ~Stmt() { sqlite3_finalize(st); }
};

std::string Column(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

Status ImportVisits(const std::string& path, ImportSink& sink, const char* browser, const char* sql,
                    int64_t epoch_shift_micros) {
  Snapshot snapshot;
  HEARTH_ASSIGN_OR_RETURN(std::string copy, snapshot.Copy(path));
  Db db;
  // The copy is opened read-write only so SQLite can replay a copied WAL;
  // nothing is written to it.
  if (sqlite3_open_v2(copy.c_str(), &db.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    return Status::InvalidArgument(fmt::format("{}: not a {} history database: {}", path, browser, sqlite3_errmsg(db.db)));
  }
  sqlite3_exec(db.db, "PRAGMA query_only=1", nullptr, nullptr, nullptr);
  Stmt stmt;
  if (sqlite3_prepare_v2(db.db, sql, -1, &stmt.st, nullptr) != SQLITE_OK) {
    return Status::InvalidArgument(fmt::format("{}: not a {} history database ({})", path, browser, sqlite3_errmsg(db.db)));
  }
  int rc;
  while ((rc = sqlite3_step(stmt.st)) == SQLITE_ROW) {
    const int64_t visit_id = sqlite3_column_int64(stmt.st, 0);
    const std::string where = fmt::format("visit id {}", visit_id);
    if (sqlite3_column_type(stmt.st, 1) != SQLITE_INTEGER) {
      sink.Malformed(path, where, "bad visit time", "not an integer");
      continue;
    }
    const int64_t raw = sqlite3_column_int64(stmt.st, 1);
    const int64_t micros = raw - epoch_shift_micros;
    // The node accepts [1900, 2200); 0 or garbage times are refused here.
    if (micros < -2208988800LL * 1000000 || micros >= 7258118400LL * 1000000 || raw <= 0) {
      sink.Malformed(path, where, "bad visit time", fmt::format("{} is outside 1900..2200", raw));
      continue;
    }
    const std::string url = Column(stmt.st, 2);
    if (url.empty()) {
      sink.Malformed(path, where, "visit without url");
      continue;
    }
    const std::string title = Column(stmt.st, 3);
    Timestamp ts{micros, 0};
    nlohmann::json ev = {
        {"id", StableId(browser, {std::to_string(micros), url})},
        {"layer", "behavioral"},
        {"kind", "browser.visit"},
        {"time", FormatRfc3339(ts)},
        {"text", title.empty() ? url : title + "\n" + url},
        {"data", {{"url", url}, {"title", title}, {"browser", browser}}},
    };
    HEARTH_RETURN_IF_ERROR(sink.Emit(std::move(ev)));
  }
  if (rc != SQLITE_DONE) {
    return Status::Corruption(fmt::format("{}: reading visits failed: {}", path, sqlite3_errmsg(db.db)));
  }
  return Status::Ok();
}

}  // namespace

Status ImportChrome(const std::string& path, const ImportOptions&, ImportSink& sink) {
  return ImportVisits(path, sink, "chrome",
                      "SELECT v.id, v.visit_time, u.url, u.title FROM visits v JOIN urls u ON u.id = v.url "
                      "ORDER BY v.visit_time, v.id",
                      kWebKitToUnixMicros);
}

Status ImportFirefox(const std::string& path, const ImportOptions&, ImportSink& sink) {
  return ImportVisits(path, sink, "firefox",
                      "SELECT v.id, v.visit_date, p.url, p.title FROM moz_historyvisits v "
                      "JOIN moz_places p ON p.id = v.place_id ORDER BY v.visit_date, v.id",
                      0);
}

}  // namespace hearth::ingest
