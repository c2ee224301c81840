// Integration: GET /v1/search on a real `hearth data serve` process.
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "data/search_query.h"
#include "data/sqlite_event_store.h"
#include "data/support/node.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

json Ev(const std::string& id, const std::string& text, const std::string& time = "2026-11-21T19:05:00+01:00",
        const std::string& layer = "text") {
  return {{"id", id}, {"layer", layer}, {"kind", "chat.message"}, {"time", time}, {"text", text},
          {"data", {{"n", id}}}};
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Sub("data");
    ingest_ = AddDevice(dir_, "phone", "ingest");
    reader_ = AddDevice(dir_, "web", "read");
    std::string error;
    node_ = NodeProcess::Start(dir_, {}, &error);
    ASSERT_NE(node_, nullptr) << error;
  }

  void Ingest(const json& events) {
    auto res = node_->Client(ingest_)->Post("/v1/events", events.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  }

  std::pair<int, json> Search(const httplib::Params& params) {
    auto res = node_->Client(reader_)->Get("/v1/search", params, httplib::Headers{});
    if (!res) return {-1, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  // Client ids of the hits for `q` (asserting success).
  std::vector<std::string> Ids(const std::string& q, httplib::Params extra = {}) {
    extra.emplace("q", q);
    auto [status, body] = Search(extra);
    EXPECT_EQ(status, 200) << q << " -> " << body.dump();
    std::vector<std::string> ids;
    if (status != 200) return ids;
    for (const auto& h : body["hits"]) ids.push_back(h["event"]["id"]);
    return ids;
  }

  TempDir tmp_;
  std::string dir_, ingest_, reader_;
  std::unique_ptr<NodeProcess> node_;
};

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

TEST_F(SearchTest, HitCarriesTheWholeEventSnippetAndScore) {
  Ingest(json::array({Ev("a", "We ate ramen with Mina at the station"), Ev("b", "Bought new shoes")}));
  auto [status, body] = Search({{"q", "ramen"}});
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_EQ(body["hits"].size(), 1u);
  const json& hit = body["hits"][0];
  EXPECT_EQ(hit["event"]["id"], "a");
  EXPECT_EQ(hit["event"]["time"], "2026-11-21T19:05:00+01:00");
  EXPECT_EQ(hit["event"]["layer"], "text");
  EXPECT_EQ(hit["event"]["kind"], "chat.message");
  EXPECT_EQ(hit["event"]["data"]["n"], "a");
  EXPECT_EQ(hit["event"]["device"], "phone");
  EXPECT_NE(hit["snippet"].get<std::string>().find("**ramen**"), std::string::npos) << hit["snippet"];
  EXPECT_GT(hit["score"].get<double>(), 0);
  EXPECT_TRUE(body["next"].is_null());
}

TEST_F(SearchTest, CaseDiacriticsPhrasesAndPrefixes) {
  Ingest(json::array({Ev("cafe", "Coffee at the Café de Flore"), Ev("upper", "RAMEN NIGHT"),
                      Ev("order1", "blue sky over the harbour"), Ev("order2", "the sky is blue today"),
                      Ev("pre", "reading about photosynthesis")}));
  EXPECT_THAT(Ids("cafe"), ElementsAre("cafe"));
  EXPECT_THAT(Ids("CAFÉ"), ElementsAre("cafe"));
  EXPECT_THAT(Ids("ramen"), ElementsAre("upper"));
  EXPECT_THAT(Ids("\"blue sky\""), ElementsAre("order1"));
  EXPECT_THAT(Ids("blue sky"), UnorderedElementsAre("order1", "order2"));
  EXPECT_THAT(Ids("photo*"), ElementsAre("pre"));
  EXPECT_TRUE(Ids("photo").empty());
  EXPECT_THAT(Ids("\"sky is bl\"*"), ElementsAre("order2"));
}

TEST_F(SearchTest, CjkTextIsFindable) {
  Ingest(json::array({Ev("zh", "我今天和米娜一起吃了拉面"), Ev("ja", "駅前のラーメン屋に行った"),
                      Ev("ko", "오늘 라멘을 먹었다"), Ev("en", "nothing here")}));
  EXPECT_THAT(Ids("拉面"), ElementsAre("zh"));       // two characters: substring scan
  EXPECT_THAT(Ids("ラーメン"), ElementsAre("ja"));   // trigrams
  EXPECT_THAT(Ids("라멘을"), ElementsAre("ko"));
  EXPECT_THAT(Ids("面"), ElementsAre("zh"));
  // A whole question sharing only part of the text.
  EXPECT_THAT(Ids("我什么时候吃了拉面？"), ElementsAre("zh"));
  auto [status, body] = Search({{"q", "ラーメン"}});
  ASSERT_EQ(status, 200);
  EXPECT_NE(body["hits"][0]["snippet"].get<std::string>().find("**"), std::string::npos);
}

TEST_F(SearchTest, AWholeQuestionFindsEventsMatchingSomeWords) {
  Ingest(json::array({Ev("r", "Dinner: ramen with Mina in Shibuya"), Ev("m", "Mina called about the weekend"),
                      Ev("x", "Paid the electricity bill")}));
  auto ids = Ids("when did I last eat ramen with Mina?");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], "r");  // matches more of the question, ranks first
  EXPECT_EQ(ids[1], "m");
}

TEST_F(SearchTest, TimeLayerKindAndDeviceFilters) {
  Ingest(json::array({Ev("early", "walk in the park", "2026-11-20T08:00:00+01:00"),
                      Ev("late", "walk in the park", "2026-11-22T08:00:00+01:00"),
                      Ev("heard", "walk in the park", "2026-11-21T12:00:00Z", "auditory")}));
  EXPECT_THAT(Ids("park", {{"from", "2026-11-21T00:00:00Z"}}), UnorderedElementsAre("late", "heard"));
  EXPECT_THAT(Ids("park", {{"to", "2026-11-21T00:00:00Z"}}), ElementsAre("early"));
  EXPECT_THAT(Ids("park", {{"from", "2026-11-21T00:00:00+00:00"}, {"to", "2026-11-22T00:00:00+01:00"}}),
              ElementsAre("heard"));
  EXPECT_THAT(Ids("park", {{"layer", "auditory"}}), ElementsAre("heard"));
  EXPECT_TRUE(Ids("park", {{"kind", "calendar.entry"}}).empty());
  EXPECT_EQ(Ids("park", {{"device", "phone"}}).size(), 3u);
  EXPECT_TRUE(Ids("park", {{"device", "laptop"}}).empty());
}

TEST_F(SearchTest, PaginationHasNoDuplicatesOrGaps) {
  json batch = json::array();
  for (int i = 0; i < 23; ++i) {
    // Varying lengths give varying scores, and repeats give exact ties.
    batch.push_back(Ev("e" + std::to_string(i), "lantern " + std::string(static_cast<size_t>(i % 4) * 6, 'x') +
                                                    " festival"));
  }
  batch.push_back(Ev("other", "no match"));
  Ingest(batch);
  std::vector<std::string> all = Ids("lantern", {{"limit", "100"}});
  ASSERT_EQ(all.size(), 23u);

  std::vector<std::string> paged;
  std::string cursor;
  int pages = 0;
  while (true) {
    httplib::Params p{{"q", "lantern"}, {"limit", "5"}};
    if (!cursor.empty()) p.emplace("cursor", cursor);
    auto [status, body] = Search(p);
    ASSERT_EQ(status, 200) << body.dump();
    ++pages;
    for (const auto& h : body["hits"]) paged.push_back(h["event"]["id"]);
    if (body["next"].is_null()) break;
    cursor = body["next"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(paged, all);
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), 23u);
}

TEST_F(SearchTest, FtsSyntaxInTheQueryIsJustText) {
  Ingest(json::array({Ev("a", "ramen AND sushi near the station"), Ev("b", "title: the NEAR future")}));
  for (const char* q : {"\"", "\"ramen", "ramen\"\"", "*", "ramen*)", "(ramen", "NEAR(ramen sushi)", "ramen AND",
                        "OR", "title:ramen", "^ramen", "-ramen", "ramen - sushi", "{a b}:ramen", "a'b", "\"\"*",
                        "NOT", "ramen + sushi", "col:*"}) {
    auto [status, body] = Search({{"q", q}});
    EXPECT_TRUE(status == 200 || (status == 400 && body["error"]["code"] == "invalid_argument")) << q << " -> " << status
                                                                                               << body.dump();
    EXPECT_EQ(body.dump().find("fts5"), std::string::npos) << q;
    EXPECT_EQ(body.dump().find("SQL"), std::string::npos) << q;
  }
  // Words, not operators: "near" matches both events, "a" matches more words.
  EXPECT_THAT(Ids("NEAR(ramen sushi)"), ElementsAre("a", "b"));
  EXPECT_THAT(Ids("title:"), ElementsAre("b"));
  EXPECT_THAT(Ids("-ramen"), ElementsAre("a"));
}

TEST_F(SearchTest, BadInputGetsAClearError) {
  Ingest(json::array({Ev("a", "ramen")}));
  struct Case {
    httplib::Params params;
    std::string expect;  // a fragment of the message
  };
  const std::vector<Case> cases = {
      {{}, "'q' is required"},
      {{{"q", "?!"}}, "no words"},
      {{{"q", std::string(1001, 'a')}}, "limit is 1000"},
      {{{"q", "ramen"}, {"from", "2026-11-22T00:00:00Z"}, {"to", "2026-11-21T00:00:00Z"}}, "inverted"},
      {{{"q", "ramen"}, {"from", "yesterday"}}, "'from'"},
      {{{"q", "ramen"}, {"to", "2026-11-21T00:00:00"}}, "'to'"},
      {{{"q", "ramen"}, {"limit", "0"}}, "limit must be 1..100"},
      {{{"q", "ramen"}, {"limit", "101"}}, "limit must be 1..100"},
      {{{"q", "ramen"}, {"limit", "-3"}}, "'limit'"},
      {{{"q", "ramen"}, {"cursor", "zz"}}, "cursor"},
      {{{"q", "ramen"}, {"cursor", "6331"}}, "cursor"},
      {{{"q", "ramen"}, {"layer", "smell"}}, "'layer'"},
      {{{"q", "caf\xff"}}, "UTF-8"},
  };
  for (const Case& c : cases) {
    auto [status, body] = Search(c.params);
    EXPECT_EQ(status, 400) << c.expect << " -> " << body.dump();
    EXPECT_EQ(body["error"]["code"], "invalid_argument") << c.expect;
    const std::string message = body["error"]["message"].is_string() ? body["error"]["message"].get<std::string>() : "";
    EXPECT_NE(message.find(c.expect), std::string::npos) << message;
  }
  auto res = node_->Client(ingest_)->Get("/v1/search?q=ramen");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);  // needs the read scope
}

TEST(SearchMigration, AVersion2DatabaseIsIndexedOnUpgrade) {
  TempDir tmp;
  const std::string path = tmp.Sub("v2.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // What a version-2 build wrote, with two events.
  const char* sql = R"sql(
CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL, description TEXT NOT NULL);
INSERT INTO schema_migrations VALUES(1, 0, 'devices and events'), (2, 0, 'arrival time and time index');
CREATE TABLE devices(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash BLOB NOT NULL UNIQUE,
  scopes TEXT NOT NULL, created_us INTEGER NOT NULL, revoked_us INTEGER);
CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, device_id INTEGER NOT NULL REFERENCES devices(id),
  client_id TEXT NOT NULL, layer TEXT NOT NULL, kind TEXT NOT NULL, time_us INTEGER NOT NULL,
  time_offset_s INTEGER NOT NULL, end_us INTEGER, end_offset_s INTEGER, text TEXT, data TEXT NOT NULL,
  lat REAL, lon REAL, acc REAL, blobs TEXT, UNIQUE(device_id, client_id));
ALTER TABLE events ADD COLUMN received_us INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_time ON events(time_us);
INSERT INTO devices VALUES(1, 'phone', x'00', 'ingest', 0, NULL);
INSERT INTO events(device_id, client_id, layer, kind, time_us, time_offset_s, text, data)
  VALUES(1, 'old-1', 'text', 'chat.message', 123, 0, 'Old café memories', '{}'),
        (1, 'old-2', 'text', 'chat.message', 124, 0, '昔のラーメン屋', '{}'),
        (1, 'old-3', 'text', 'chat.message', 125, 0, NULL, '{}');
)sql";
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(db);

  auto store = data::OpenSqliteEventStore(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*data::ReadSchemaVersion(path), data::kLatestSchemaVersion);
  for (const auto& [q, id] : std::vector<std::pair<std::string, std::string>>{{"cafe", "old-1"}, {"ラーメン", "old-2"}}) {
    data::SearchRequest request;
    auto terms = data::ParseSearchQuery(q);
    ASSERT_TRUE(terms.ok());
    request.terms = *terms;
    auto page = (*store)->Search(request);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_EQ(page->hits.size(), 1u) << q;
    EXPECT_EQ(page->hits[0].stored.event.client_id, id);
  }
  EXPECT_TRUE((*store)->CheckIntegrity().ok());
}

TEST(SearchCursor, RoundTripsExactlyAndRefusesForgeries) {
  const data::SearchCursor c{-0.1234567890123456789, 42};
  auto back = data::DecodeSearchCursor(data::EncodeSearchCursor(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rank, c.rank);
  EXPECT_EQ(back->seq, 42);
  for (const char* bad : {"", "0", "gg", "63312e", "6331", "00"}) EXPECT_FALSE(data::DecodeSearchCursor(bad).ok()) << bad;
}

}  // namespace
}  // namespace hearth::testing
