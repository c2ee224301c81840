// The SQLite EventStore on real files: idempotent durable appends,
// migrations, devices and tokens.
#include "data/sqlite_event_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "data/support/node.h"
#include "data/tokens.h"

namespace hearth::data {
namespace {

using hearth::testing::TempDir;

Event MakeEvent(const std::string& id, int64_t micros = 1'700'000'000'000'000) {
  Event e;
  e.client_id = id;
  e.layer = Layer::kBehavioral;
  e.kind = "app.focus";
  e.time = {micros, 3600};
  e.end = Timestamp{micros + 10, 3600};
  e.text = "editor " + id;
  e.data_json = R"({"app":"vim"})";
  e.geo = Geo{1.5, 2.5, 3.0};
  e.blobs = {std::string(64, 'b')};
  return e;
}

std::unique_ptr<EventStore> Open(const std::string& path) {
  auto store = OpenSqliteEventStore(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

int64_t AddDev(EventStore& store, const std::string& name) {
  auto d = store.AddDevice(name, kScopeIngest, HashToken("tok-" + name));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? d->id : 0;
}

TEST(SqliteStore, AppendIsIdempotentPerDeviceAndClientId) {
  TempDir tmp;
  auto store = Open(tmp.Sub("h.db"));
  ASSERT_NE(store, nullptr);
  const int64_t phone = AddDev(*store, "phone");
  const int64_t laptop = AddDev(*store, "laptop");

  auto first = store->Append(phone, {MakeEvent("a"), MakeEvent("b")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->stored, 2u);
  EXPECT_EQ(first->duplicates, 0u);

  // A resend (plus one new event) stores only the new one.
  auto resend = store->Append(phone, {MakeEvent("a"), MakeEvent("b"), MakeEvent("c")});
  ASSERT_TRUE(resend.ok());
  EXPECT_EQ(resend->stored, 1u);
  EXPECT_EQ(resend->duplicates, 2u);

  // The same client id from another device is another event.
  auto other = store->Append(laptop, {MakeEvent("a")});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->stored, 1u);

  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, 4);
  EXPECT_EQ(stats->per_layer["behavioral"], 4);
  EXPECT_EQ(stats->per_device["phone"], 3);
  EXPECT_EQ(stats->per_device["laptop"], 1);
  EXPECT_GT(stats->database_bytes, 0);
}

TEST(SqliteStore, EventsRoundTripExactly) {
  TempDir tmp;
  auto store = Open(tmp.Sub("h.db"));
  ASSERT_NE(store, nullptr);
  const int64_t phone = AddDev(*store, "phone");
  Event plain;
  plain.client_id = "plain";
  plain.kind = "photo";
  plain.layer = Layer::kVisual;
  plain.time = {-5, 0};
  ASSERT_TRUE(store->Append(phone, {MakeEvent("full"), plain}).ok());

  auto events = store->ReadAfter(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  const StoredEvent& a = (*events)[0];
  EXPECT_EQ(a.device, "phone");
  EXPECT_GT(a.received_micros, 0);
  const Event want = MakeEvent("full");
  EXPECT_EQ(a.event.client_id, want.client_id);
  EXPECT_EQ(a.event.layer, want.layer);
  EXPECT_EQ(a.event.time, want.time);
  EXPECT_EQ(a.event.end, want.end);
  EXPECT_EQ(a.event.text, want.text);
  EXPECT_EQ(a.event.data_json, want.data_json);
  ASSERT_TRUE(a.event.geo.has_value());
  EXPECT_EQ(a.event.geo->acc, 3.0);
  EXPECT_EQ(a.event.blobs, want.blobs);
  const StoredEvent& b = (*events)[1];
  EXPECT_GT(b.seq, a.seq);
  EXPECT_FALSE(b.event.end || b.event.text || b.event.geo);
  EXPECT_TRUE(b.event.blobs.empty());

  auto after = store->ReadAfter(a.seq, 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].event.client_id, "plain");

  auto found = store->FindByClientId(phone, "plain");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((**found).seq, b.seq);
  auto missing = store->FindByClientId(phone, "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(SqliteStore, ConcurrentAppendsAreAllStoredOnce) {
  TempDir tmp;
  auto store = Open(tmp.Sub("h.db"));
  ASSERT_NE(store, nullptr);
  const int64_t phone = AddDev(*store, "phone");
  constexpr int kThreads = 8, kBatches = 20, kPerBatch = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Event> batch;
        // Threads 0 and 1 send the same ids: duplicates across concurrent batches.
        for (int i = 0; i < kPerBatch; ++i) batch.push_back(MakeEvent(fmt::format("{}-{}-{}", t / 2, b, i)));
        if (!store->Append(phone, batch).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, kThreads / 2 * kBatches * kPerBatch);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST(SqliteStore, DatabaseFilesArePrivate) {
  TempDir tmp;
  auto store = Open(tmp.Sub("h.db"));
  ASSERT_NE(store, nullptr);
  AddDev(*store, "phone");
  for (const char* suffix : {"", "-wal"}) {
    struct stat st;
    ASSERT_EQ(stat((tmp.Sub("h.db") + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
}

TEST(SqliteStore, DevicesTokensAndRevocation) {
  TempDir tmp;
  auto store = Open(tmp.Sub("h.db"));
  ASSERT_NE(store, nullptr);
  const std::string token = GenerateToken();
  EXPECT_EQ(token.size(), 4u + 43u);
  EXPECT_NE(token, GenerateToken());
  auto d = store->AddDevice("phone", kScopeIngest | kScopeRead, HashToken(token));
  ASSERT_TRUE(d.ok());
  auto dup = store->AddDevice("phone", kScopeIngest, HashToken(GenerateToken()));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(store->AddDevice("bad name!", kScopeIngest, HashToken("x")).ok());

  auto found = store->FindDeviceByTokenHash(HashToken(token));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((**found).name, "phone");
  EXPECT_EQ((**found).scopes, kScopeIngest | kScopeRead);
  auto wrong = store->FindDeviceByTokenHash(HashToken(token + "x"));
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->has_value());

  ASSERT_TRUE(store->RevokeDevice("phone").ok());
  auto revoked = store->FindDeviceByTokenHash(HashToken(token));
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(revoked->has_value());
  EXPECT_EQ(store->RevokeDevice("phone").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->RevokeDevice("ghost").code(), StatusCode::kNotFound);
  auto list = store->ListDevices();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].revoked_micros.has_value());

  // The token itself is never stored, only its hash.
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(tmp.Sub("h.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM devices WHERE token_hash = ? OR CAST(token_hash AS TEXT) = ?", -1, &st, nullptr), SQLITE_OK);
  sqlite3_bind_text(st, 1, token.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, token.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(Scopes, ParseAndFormat) {
  auto s = ParseScopes("read,ingest");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, kScopeIngest | kScopeRead);
  EXPECT_EQ(ScopesToString(*s), "ingest,read");
  EXPECT_FALSE(ParseScopes("").ok());
  EXPECT_FALSE(ParseScopes("ingest,ingest").ok());
  EXPECT_FALSE(ParseScopes("write").ok());
  EXPECT_TRUE(HasScope(kScopeAdmin, kScopeRead));
  EXPECT_FALSE(HasScope(kScopeIngest, kScopeRead));
}

void RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(db);
}

TEST(SqliteStore, UpgradesAVersion1Database) {
  TempDir tmp;
  const std::string path = tmp.Sub("old.db");
  // Exactly what a version-1 build wrote, with one device and one event.
  RawSql(path, R"sql(
CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL, description TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1, 0, 'devices and events');
CREATE TABLE devices(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash BLOB NOT NULL UNIQUE,
  scopes TEXT NOT NULL, created_us INTEGER NOT NULL, revoked_us INTEGER);
CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, device_id INTEGER NOT NULL REFERENCES devices(id),
  client_id TEXT NOT NULL, layer TEXT NOT NULL, kind TEXT NOT NULL, time_us INTEGER NOT NULL,
  time_offset_s INTEGER NOT NULL, end_us INTEGER, end_offset_s INTEGER, text TEXT, data TEXT NOT NULL,
  lat REAL, lon REAL, acc REAL, blobs TEXT, UNIQUE(device_id, client_id));
INSERT INTO devices VALUES(1, 'phone', x'00', 'ingest', 0, NULL);
INSERT INTO events(device_id, client_id, layer, kind, time_us, time_offset_s, data)
  VALUES(1, 'old-1', 'text', 'chat.message', 123, 0, '{}');
)sql");
  auto version = ReadSchemaVersion(path);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 1);

  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*ReadSchemaVersion(path), kLatestSchemaVersion);
  auto events = store->ReadAfter(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].event.client_id, "old-1");
  EXPECT_EQ((*events)[0].received_micros, 0);  // unknown for events from before v2
  // The upgraded store still enforces idempotency and takes new events.
  auto r = store->Append(1, {MakeEvent("old-1"), MakeEvent("new-1")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stored, 1u);
  EXPECT_EQ(r->duplicates, 1u);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST(SqliteStore, RefusesADatabaseFromANewerBuild) {
  TempDir tmp;
  const std::string path = tmp.Sub("new.db");
  { ASSERT_NE(Open(path), nullptr); }
  RawSql(path, "INSERT INTO schema_migrations VALUES(99, 0, 'from the future')");
  auto store = OpenSqliteEventStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find(path), std::string::npos);
}

TEST(SqliteStore, RefusesAFileThatIsNotADatabase) {
  TempDir tmp;
  const std::string path = tmp.Sub("junk.db");
  FILE* f = fopen(path.c_str(), "w");
  fputs("this is not sqlite, just some text that is long enough to have a header.................", f);
  fclose(f);
  auto store = OpenSqliteEventStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
}

}  // namespace
}  // namespace hearth::data
