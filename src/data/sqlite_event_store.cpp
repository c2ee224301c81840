#include "data/sqlite_event_store.h"

#include <sys/stat.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/time.h"
#include "data/sqlite_util.h"
#include "data/tokens.h"

namespace hearth::data {
namespace {

using sqlite::Stmt;

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Append-only: a released migration is never edited, only followed by new ones.
constexpr Migration kMigrations[] = {
    {1, "devices and events",
     R"sql(
CREATE TABLE devices(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  token_hash BLOB NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  revoked_us INTEGER);
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id INTEGER NOT NULL REFERENCES devices(id),
  client_id TEXT NOT NULL,
  layer TEXT NOT NULL,
  kind TEXT NOT NULL,
  time_us INTEGER NOT NULL,
  time_offset_s INTEGER NOT NULL,
  end_us INTEGER,
  end_offset_s INTEGER,
  text TEXT,
  data TEXT NOT NULL,
  lat REAL,
  lon REAL,
  acc REAL,
  blobs TEXT,
  UNIQUE(device_id, client_id));
)sql"},
    {2, "arrival time and time index",
     R"sql(
ALTER TABLE events ADD COLUMN received_us INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_time ON events(time_us);
)sql"},
    // Full-text search (search_query.h). Both indexes are external-content
    // tables over events (the text is stored once) kept in sync by triggers,
    // so an event and its index entries commit in the same transaction.
    // events_fts folds case and diacritics ("cafe" finds "Café"). unicode61
    // keeps a CJK run as one token, so rows whose text holds CJK characters
    // are also indexed by trigrams in events_cjk (substring search); the GLOB
    // ranges are those of IsCjkCodePoint. Only those rows, to keep the index
    // small for the rest of a life.
    {3, "full-text search",
     R"sql(
CREATE VIRTUAL TABLE events_fts USING fts5(text, content='events', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE events_cjk USING fts5(text, content='events', content_rowid='id', tokenize='trigram');
CREATE TRIGGER events_fts_insert AFTER INSERT ON events WHEN new.text IS NOT NULL BEGIN
  INSERT INTO events_fts(rowid, text) VALUES(new.id, new.text);
END;
CREATE TRIGGER events_cjk_insert AFTER INSERT ON events
  WHEN new.text GLOB '*[぀-ヿ㐀-䶿一-鿿가-힯]*' BEGIN
  INSERT INTO events_cjk(rowid, text) VALUES(new.id, new.text);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events WHEN old.text IS NOT NULL BEGIN
  INSERT INTO events_fts(events_fts, rowid, text) VALUES('delete', old.id, old.text);
END;
CREATE TRIGGER events_cjk_delete AFTER DELETE ON events
  WHEN old.text GLOB '*[぀-ヿ㐀-䶿一-鿿가-힯]*' BEGIN
  INSERT INTO events_cjk(events_cjk, rowid, text) VALUES('delete', old.id, old.text);
END;
CREATE TRIGGER events_text_update BEFORE UPDATE OF text ON events BEGIN
  SELECT RAISE(ABORT, 'event text is immutable');
END;
INSERT INTO events_fts(rowid, text) SELECT id, text FROM events WHERE text IS NOT NULL;
INSERT INTO events_cjk(rowid, text) SELECT id, text FROM events WHERE text GLOB '*[぀-ヿ㐀-䶿一-鿿가-힯]*';
)sql"},
};
static_assert(std::size(kMigrations) == kLatestSchemaVersion);

constexpr const char* kEventColumns =
    "e.id, d.name, e.client_id, e.layer, e.kind, e.time_us, e.time_offset_s, e.end_us, e.end_offset_s, e.text, "
    "e.data, e.lat, e.lon, e.acc, e.blobs, e.received_us";

StoredEvent RowToEvent(const Stmt& s) {
  StoredEvent out;
  out.seq = s.Int(0);
  out.device = s.Text(1);
  Event& e = out.event;
  e.client_id = s.Text(2);
  ParseLayer(s.Text(3), &e.layer);
  e.kind = s.Text(4);
  e.time = {s.Int(5), static_cast<int32_t>(s.Int(6))};
  if (!s.IsNull(7)) e.end = Timestamp{s.Int(7), static_cast<int32_t>(s.Int(8))};
  if (!s.IsNull(9)) e.text = s.Text(9);
  e.data_json = s.Text(10);
  if (!s.IsNull(11)) {
    Geo g{s.Double(11), s.Double(12), std::nullopt};
    if (!s.IsNull(13)) g.acc = s.Double(13);
    e.geo = g;
  }
  if (!s.IsNull(14)) {
    auto blobs = nlohmann::json::parse(s.Text(14), nullptr, /*allow_exceptions=*/false);
    if (blobs.is_array()) {
      for (const auto& b : blobs) {
        if (b.is_string()) e.blobs.push_back(b.get<std::string>());
      }
    }
  }
  out.received_micros = s.Int(15);
  return out;
}

Result<int> CurrentVersion(sqlite3* db) {
  HEARTH_ASSIGN_OR_RETURN(Stmt exists, Stmt::Prepare(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"));
  HEARTH_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  HEARTH_ASSIGN_OR_RETURN(Stmt max, Stmt::Prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  HEARTH_ASSIGN_OR_RETURN(bool row, max.Step());
  return row ? static_cast<int>(max.Int(0)) : 0;
}

Status Migrate(sqlite3* db, const std::string& path) {
  // IMMEDIATE: two processes opening the same new database do not both migrate.
  HEARTH_RETURN_IF_ERROR(sqlite::Exec(db, "BEGIN IMMEDIATE"));
  auto run = [&]() -> Status {
    HEARTH_RETURN_IF_ERROR(sqlite::Exec(
        db, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL, "
            "description TEXT NOT NULL)"));
    HEARTH_ASSIGN_OR_RETURN(int current, CurrentVersion(db));
    if (current > kLatestSchemaVersion) {
      return Status::FailedPrecondition(fmt::format(
          "database {} has schema version {}, newer than this build of Hearth supports ({}); "
          "use a newer Hearth or restore a backup made by this version",
          path, current, kLatestSchemaVersion));
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= current) continue;
      HEARTH_RETURN_IF_ERROR(sqlite::Exec(db, m.sql).WithContext(fmt::format("migration {} of {}", m.version, path)));
      HEARTH_ASSIGN_OR_RETURN(Stmt rec, Stmt::Prepare(db, "INSERT INTO schema_migrations VALUES(?,?,?)"));
      rec.BindInt(1, m.version);
      rec.BindInt(2, NowMicros());
      rec.BindText(3, m.description);
      HEARTH_RETURN_IF_ERROR(rec.Run());
      log::Info("data", "schema migrated", {{"version", m.version}});
    }
    return Status::Ok();
  };
  Status s = run();
  if (!s.ok()) {
    (void)sqlite::Exec(db, "ROLLBACK");
    return s;
  }
  return sqlite::Exec(db, "COMMIT");
}

class SqliteEventStore final : public EventStore {
 public:
  SqliteEventStore(std::string path, SqliteStoreOptions options) : path_(std::move(path)), options_(options) {}

  ~SqliteEventStore() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    writer_cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
    insert_ = Stmt();
    if (writer_) sqlite3_close(writer_);
    for (sqlite3* db : readers_) sqlite3_close(db);
  }

  Status Init() {
    HEARTH_ASSIGN_OR_RETURN(writer_, sqlite::OpenConnection(path_, /*create=*/true));
    HEARTH_RETURN_IF_ERROR(Migrate(writer_, path_));
    HEARTH_ASSIGN_OR_RETURN(
        insert_, Stmt::Prepare(writer_,
                               "INSERT INTO events(device_id, client_id, layer, kind, time_us, time_offset_s, end_us, "
                               "end_offset_s, text, data, lat, lon, acc, blobs, received_us) "
                               "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(device_id, client_id) DO NOTHING"));
    writer_thread_ = std::thread([this] { WriterLoop(); });
    return Status::Ok();
  }

  int schema_version() const override { return kLatestSchemaVersion; }

  Result<Device> AddDevice(const std::string& name, uint32_t scopes, const std::string& token_hash) override {
    HEARTH_RETURN_IF_ERROR(ValidateDeviceName(name));
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(r.db, "INSERT INTO devices(name, token_hash, scopes, created_us) VALUES(?,?,?,?)"));
    Device d;
    d.name = name;
    d.scopes = scopes;
    d.created_micros = NowMicros();
    s.BindText(1, name);
    s.BindBlob(2, token_hash);
    s.BindText(3, ScopesToString(scopes));
    s.BindInt(4, d.created_micros);
    Status st = s.Run();
    if (!st.ok()) {
      if ((sqlite3_extended_errcode(r.db) & 0xff) == SQLITE_CONSTRAINT) {
        return Status::AlreadyExists(fmt::format("a device named '{}' already exists", name));
      }
      return st;
    }
    d.id = sqlite3_last_insert_rowid(r.db);
    return d;
  }

  Result<std::vector<Device>> ListDevices() override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(r.db, "SELECT id, name, scopes, created_us, revoked_us FROM devices ORDER BY id"));
    std::vector<Device> out;
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(DeviceFromRow(s));
    }
    return out;
  }

  Status RevokeDevice(const std::string& name) override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(Stmt q, Stmt::Prepare(r.db, "SELECT revoked_us FROM devices WHERE name = ?"));
    q.BindText(1, name);
    HEARTH_ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) return Status::NotFound(fmt::format("no device named '{}'", name));
    if (!q.IsNull(0)) return Status::FailedPrecondition(fmt::format("device '{}' is already revoked", name));
    q = Stmt();
    HEARTH_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(r.db, "UPDATE devices SET revoked_us = ? WHERE name = ? AND revoked_us IS NULL"));
    s.BindInt(1, NowMicros());
    s.BindText(2, name);
    return s.Run();
  }

  Result<std::optional<Device>> FindDeviceByTokenHash(const std::string& token_hash) override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(r.db, "SELECT id, name, scopes, created_us, revoked_us FROM devices "
                                                        "WHERE token_hash = ? AND revoked_us IS NULL"));
    s.BindBlob(1, token_hash);
    HEARTH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Device>();
    return std::optional<Device>(DeviceFromRow(s));
  }

  Result<AppendResult> Append(int64_t device_id, const std::vector<Event>& events) override {
    Pending p{device_id, &events, {}, {}, false};
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("the event store is closing");
    queue_.push_back(&p);
    writer_cv_.notify_one();
    done_cv_.wait(lock, [&] { return p.done; });
    if (!p.status.ok()) return p.status;
    return p.result;
  }

  Result<std::vector<StoredEvent>> ReadAfter(int64_t after_seq, size_t limit) override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(
        Stmt s, Stmt::Prepare(r.db, fmt::format("SELECT {} FROM events e JOIN devices d ON d.id = e.device_id "
                                                "WHERE e.id > ? ORDER BY e.id LIMIT ?",
                                                kEventColumns)));
    s.BindInt(1, after_seq);
    s.BindInt(2, static_cast<int64_t>(limit));
    std::vector<StoredEvent> out;
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(RowToEvent(s));
    }
    return out;
  }

  Result<std::optional<StoredEvent>> FindByClientId(int64_t device_id, const std::string& client_id) override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(
        Stmt s, Stmt::Prepare(r.db, fmt::format("SELECT {} FROM events e JOIN devices d ON d.id = e.device_id "
                                                "WHERE e.device_id = ? AND e.client_id = ?",
                                                kEventColumns)));
    s.BindInt(1, device_id);
    s.BindText(2, client_id);
    HEARTH_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<StoredEvent>();
    return std::optional<StoredEvent>(RowToEvent(s));
  }

  Result<SearchPage> Search(const SearchRequest& q) override {
    // MATERIALIZED: bm25() and snippet() work only in a direct FTS query,
    // not once SQLite flattens the CTE into the grouped query.
    // Each index contributes candidate (seq, rank, snippet) rows; an event
    // found by several keeps its best rank. Filters and the keyset cursor
    // apply after, then ORDER BY (rank, seq) makes the order total.
    std::vector<std::string> sources;
    std::vector<std::string> binds;
    if (!q.terms.fts_match.empty()) {
      sources.push_back(fmt::format("SELECT rowid AS seq, bm25(events_fts) AS rank, "
                                    "snippet(events_fts, 0, '{0}', '{1}', '…', 16) AS snip "
                                    "FROM events_fts WHERE events_fts MATCH ?",
                                    kSnippetOpen, kSnippetClose));
      binds.push_back(q.terms.fts_match);
    }
    if (!q.terms.cjk_match.empty()) {
      sources.push_back(fmt::format("SELECT rowid, bm25(events_cjk), "
                                    "snippet(events_cjk, 0, '{0}', '{1}', '…', 16) "
                                    "FROM events_cjk WHERE events_cjk MATCH ?",
                                    kSnippetOpen, kSnippetClose));
      binds.push_back(q.terms.cjk_match);
    }
    for (const std::string& term : q.terms.short_cjk) {
      // Too short for trigrams: a substring scan of the CJK rows, with a
      // fixed modest rank. CJK runs contain no LIKE wildcards.
      sources.push_back(fmt::format("SELECT id, -1.0, replace(substr(text, 1, 120), ?, '{0}' || ? || '{1}') "
                                    "FROM events WHERE text GLOB '*[぀-ヿ㐀-䶿一-鿿가-힯]*' AND instr(text, ?) > 0",
                                    kSnippetOpen, kSnippetClose));
      binds.insert(binds.end(), {term, term, term});
    }
    std::string where = "1";
    if (q.from_micros) where += " AND e.time_us >= ?";
    if (q.to_micros) where += " AND e.time_us < ?";
    if (q.layer) where += " AND e.layer = ?";
    if (q.kind) where += " AND e.kind = ?";
    if (q.device) where += " AND d.name = ?";
    if (q.after) where += " AND (b.rank > ? OR (b.rank = ? AND e.id > ?))";
    std::string union_sql;
    for (const auto& src : sources) union_sql += (union_sql.empty() ? "" : " UNION ALL ") + src;
    const std::string sql = fmt::format(
        "WITH hits AS MATERIALIZED ({}), best AS (SELECT seq, MIN(rank) AS rank, snip FROM hits GROUP BY seq) "
        "SELECT {}, b.rank, b.snip FROM best b JOIN events e ON e.id = b.seq JOIN devices d ON d.id = e.device_id "
        "WHERE {} ORDER BY b.rank, e.id LIMIT ?",
        union_sql, kEventColumns, where);
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    HEARTH_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(r.db, sql));
    int pos = 1;
    for (const auto& b : binds) s.BindText(pos++, b);
    if (q.from_micros) s.BindInt(pos++, *q.from_micros);
    if (q.to_micros) s.BindInt(pos++, *q.to_micros);
    if (q.layer) s.BindText(pos++, *q.layer);
    if (q.kind) s.BindText(pos++, *q.kind);
    if (q.device) s.BindText(pos++, *q.device);
    if (q.after) {
      s.BindDouble(pos++, q.after->rank);
      s.BindDouble(pos++, q.after->rank);
      s.BindInt(pos++, q.after->seq);
    }
    // One extra row tells whether another page follows.
    s.BindInt(pos++, static_cast<int64_t>(q.limit) + 1);
    SearchPage page;
    constexpr int kRankCol = 16;
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (page.hits.size() == q.limit) {
        page.next = SearchCursor{page.hits.back().rank, page.hits.back().stored.seq};
        break;
      }
      SearchHit hit;
      hit.stored = RowToEvent(s);
      hit.rank = s.Double(kRankCol);
      hit.snippet = s.Text(kRankCol + 1);
      page.hits.push_back(std::move(hit));
    }
    return page;
  }

  Result<StoreStats> Stats() override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    StoreStats stats;
    // One read transaction, so the totals agree with each other.
    HEARTH_RETURN_IF_ERROR(sqlite::Exec(r.db, "BEGIN"));
    auto run = [&]() -> Status {
      HEARTH_ASSIGN_OR_RETURN(Stmt layers, Stmt::Prepare(r.db, "SELECT layer, COUNT(*) FROM events GROUP BY layer"));
      while (true) {
        HEARTH_ASSIGN_OR_RETURN(bool row, layers.Step());
        if (!row) break;
        stats.per_layer[layers.Text(0)] = layers.Int(1);
        stats.events += layers.Int(1);
      }
      HEARTH_ASSIGN_OR_RETURN(Stmt devices, Stmt::Prepare(r.db, "SELECT d.name, COUNT(e.id) FROM devices d "
                                                                "JOIN events e ON e.device_id = d.id GROUP BY d.id"));
      while (true) {
        HEARTH_ASSIGN_OR_RETURN(bool row, devices.Step());
        if (!row) break;
        stats.per_device[devices.Text(0)] = devices.Int(1);
      }
      return Status::Ok();
    };
    Status s = run();
    (void)sqlite::Exec(r.db, "COMMIT");
    HEARTH_RETURN_IF_ERROR(s);
    for (const char* suffix : {"", "-wal"}) {
      struct stat st;
      if (::stat((path_ + suffix).c_str(), &st) == 0) stats.database_bytes += st.st_size;
    }
    return stats;
  }

  Status CheckIntegrity() override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    return sqlite::CheckIntegrity(r.db).WithContext(path_);
  }

  Status BackupTo(const std::string& path) override {
    HEARTH_ASSIGN_OR_RETURN(Reader r, AcquireReader());
    return sqlite::BackupDatabase(r.db, path);
  }

 private:
  struct Pending {
    int64_t device_id;
    const std::vector<Event>* events;
    AppendResult result;
    Status status;
    bool done = false;
  };

  // A pooled connection, returned to the pool when it goes out of scope.
  class Reader {
   public:
    Reader(SqliteEventStore* store, sqlite3* conn) : db(conn), store_(store) {}
    Reader(Reader&& o) noexcept : db(o.db), store_(o.store_) { o.db = nullptr; }
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
      if (db) store_->ReleaseReader(db);
    }
    sqlite3* db;

   private:
    SqliteEventStore* store_;
  };

  static Device DeviceFromRow(const Stmt& s) {
    Device d;
    d.id = s.Int(0);
    d.name = s.Text(1);
    auto scopes = ParseScopes(s.Text(2));
    d.scopes = scopes.ok() ? *scopes : 0;
    d.created_micros = s.Int(3);
    if (!s.IsNull(4)) d.revoked_micros = s.Int(4);
    return d;
  }

  Result<Reader> AcquireReader() {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!readers_.empty()) {
        sqlite3* db = readers_.back();
        readers_.pop_back();
        return Reader(this, db);
      }
    }
    HEARTH_ASSIGN_OR_RETURN(sqlite3 * db, sqlite::OpenConnection(path_, /*create=*/false));
    return Reader(this, db);
  }

  void ReleaseReader(sqlite3* db) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (readers_.size() < 16) {
      readers_.push_back(db);
    } else {
      sqlite3_close(db);
    }
  }

  void WriterLoop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      writer_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left to write
      std::vector<Pending*> group;
      size_t events = 0;
      while (!queue_.empty() && (group.empty() || events + queue_.front()->events->size() <= options_.max_events_per_transaction)) {
        events += queue_.front()->events->size();
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      Status s = WriteGroup(group);
      if (!s.ok() && group.size() > 1) {
        // One batch must not fail the others: retry each on its own.
        for (Pending* p : group) p->status = WriteGroup({p});
      } else {
        for (Pending* p : group) p->status = s;
      }
      lock.lock();
      for (Pending* p : group) p->done = true;
      done_cv_.notify_all();
    }
  }

  // Writes every batch of `group` in one transaction; on failure nothing of
  // the group is stored and the results are meaningless.
  Status WriteGroup(const std::vector<Pending*>& group) {
    HEARTH_RETURN_IF_ERROR(sqlite::Exec(writer_, "BEGIN IMMEDIATE"));
    const int64_t now = NowMicros();
    Status s;
    for (Pending* p : group) {
      p->result = AppendResult();
      for (const Event& e : *p->events) {
        s = InsertOne(p->device_id, e, now);
        if (!s.ok()) break;
        if (sqlite3_changes(writer_) > 0) ++p->result.stored;
        else ++p->result.duplicates;
      }
      if (!s.ok()) break;
    }
    if (s.ok()) s = sqlite::Exec(writer_, "COMMIT");
    if (!s.ok()) {
      (void)sqlite::Exec(writer_, "ROLLBACK");
      log::Error("data", "event write failed", {{"batches", group.size()}, {"error", s.ToString()}});
    }
    return s;
  }

  Status InsertOne(int64_t device_id, const Event& e, int64_t now) {
    Stmt& s = insert_;
    s.Reset();
    s.BindInt(1, device_id);
    s.BindText(2, e.client_id);
    s.BindText(3, LayerName(e.layer));
    s.BindText(4, e.kind);
    s.BindInt(5, e.time.utc_micros);
    s.BindInt(6, e.time.offset_seconds);
    if (e.end) {
      s.BindInt(7, e.end->utc_micros);
      s.BindInt(8, e.end->offset_seconds);
    }
    if (e.text) s.BindText(9, *e.text);
    s.BindText(10, e.data_json);
    if (e.geo) {
      s.BindDouble(11, e.geo->lat);
      s.BindDouble(12, e.geo->lon);
      if (e.geo->acc) s.BindDouble(13, *e.geo->acc);
    }
    if (!e.blobs.empty()) s.BindText(14, nlohmann::json(e.blobs).dump());
    s.BindInt(15, now);
    return s.Run();
  }

  const std::string path_;
  const SqliteStoreOptions options_;

  sqlite3* writer_ = nullptr;  // used only by the writer thread after Init
  Stmt insert_;
  std::thread writer_thread_;

  std::mutex mu_;  // guards queue_, stopping_ and Pending::done
  std::condition_variable writer_cv_;
  std::condition_variable done_cv_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;

  std::mutex pool_mu_;
  std::vector<sqlite3*> readers_;
};

}  // namespace

Result<std::unique_ptr<EventStore>> OpenSqliteEventStore(const std::string& path, const SqliteStoreOptions& options) {
  auto store = std::make_unique<SqliteEventStore>(path, options);
  HEARTH_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<EventStore>(std::move(store));
}

Result<int> ReadSchemaVersion(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Status s = sqlite::Error(db, fmt::format("cannot open database {}", path));
    sqlite3_close(db);
    return s;
  }
  auto v = CurrentVersion(db);
  sqlite3_close(db);
  return v;
}

}  // namespace hearth::data
