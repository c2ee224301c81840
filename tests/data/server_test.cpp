// Integration: the real `hearth data serve` process over real HTTP.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/support/node.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

const char* kEvent = R"({"id":"%s","layer":"text","kind":"chat.message","time":"2026-11-21T19:05:00+01:00","text":"hello"})";

std::string Ev(const std::string& id) {
  char buf[512];
  std::snprintf(buf, sizeof buf, kEvent, id.c_str());
  return buf;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Boot({}); }

  void Boot(const Env& env) {
    dir_ = tmp_.Sub("data");
    ingest_ = AddDevice(dir_, "phone", "ingest");
    reader_ = AddDevice(dir_, "web", "read");
    admin_ = AddDevice(dir_, "root", "admin");
    std::string error;
    node_ = NodeProcess::Start(dir_, env, &error);
    ASSERT_NE(node_, nullptr) << error;
  }

  // POST /v1/events with `token`; returns status and parsed body.
  std::pair<int, json> Post(const std::string& body, const std::string& token,
                            const char* type = "application/json") {
    auto res = node_->Client(token)->Post("/v1/events", body, type);
    if (!res) return {-1, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  std::pair<int, json> Get(const std::string& path, const std::string& token) {
    auto res = node_->Client(token)->Get(path.c_str());
    if (!res) return {-1, json()};
    return {res->status, json::parse(res->body, nullptr, false)};
  }

  int64_t EventCount() {
    auto [status, body] = Get("/v1/stats", reader_);
    EXPECT_EQ(status, 200);
    return body.value("events", int64_t{-1});
  }

  TempDir tmp_;
  std::string dir_, ingest_, reader_, admin_;
  std::unique_ptr<NodeProcess> node_;
};

TEST_F(ServerTest, IngestReadBackAndStats) {
  auto [status, body] = Post("[" + Ev("a") + "," + Ev("b") + "]", ingest_);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["accepted"], 2);
  EXPECT_EQ(body["stored"], 2);
  EXPECT_EQ(body["duplicates"], 0);

  auto [s2, events] = Get("/v1/events?after=0&limit=10", reader_);
  ASSERT_EQ(s2, 200) << events.dump();
  ASSERT_EQ(events["events"].size(), 2u);
  const json& e = events["events"][0];
  EXPECT_EQ(e["id"], "a");
  EXPECT_EQ(e["device"], "phone");
  EXPECT_EQ(e["time"], "2026-11-21T19:05:00+01:00");
  EXPECT_EQ(e["text"], "hello");
  EXPECT_EQ(events["next"], events["events"][1]["seq"]);

  auto [s3, stats] = Get("/v1/stats", reader_);
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(stats["events"], 2);
  EXPECT_EQ(stats["layers"]["text"], 2);
  EXPECT_EQ(stats["layers"]["visual"], 0);
  EXPECT_EQ(stats["devices"]["phone"], 2);
  EXPECT_GT(stats["bytes"]["total"].get<int64_t>(), 0);
}

TEST_F(ServerTest, ResentBatchStoresNothingTwiceAndStillSucceeds) {
  const std::string batch = "[" + Ev("a") + "," + Ev("b") + "]";
  ASSERT_EQ(Post(batch, ingest_).first, 200);
  auto [status, body] = Post(batch, ingest_);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["stored"], 0);
  EXPECT_EQ(body["duplicates"], 2);
  EXPECT_EQ(EventCount(), 2);
}

TEST_F(ServerTest, AcceptsNdjson) {
  auto [status, body] = Post(Ev("n1") + "\n" + Ev("n2") + "\n", ingest_, "application/x-ndjson");
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["stored"], 2);
}

TEST_F(ServerTest, EveryEndpointNeedsAToken) {
  for (const char* path : {"/v1/health", "/v1/stats", "/v1/events", "/v1/devices",
                           "/v1/blobs/0000000000000000000000000000000000000000000000000000000000000000"}) {
    auto [status, body] = Get(path, "");
    EXPECT_EQ(status, 401) << path;
    EXPECT_EQ(body["error"]["code"], "unauthenticated") << path;
    auto [status2, body2] = Get(path, "hth_not-a-real-token");
    EXPECT_EQ(status2, 401) << path;
  }
  auto [ps, pb] = Post("[" + Ev("a") + "]", "");
  EXPECT_EQ(ps, 401);
  auto put = node_->Client()->Put("/v1/blobs", "data", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 401);
  EXPECT_EQ(EventCount(), 0);
  auto [hs, health] = Get("/v1/health", ingest_);
  EXPECT_EQ(hs, 200);
  EXPECT_EQ(health["status"], "ok");
}

TEST_F(ServerTest, ScopesAreChecked) {
  auto [s1, b1] = Post("[" + Ev("a") + "]", reader_);
  EXPECT_EQ(s1, 403);
  EXPECT_EQ(b1["error"]["code"], "forbidden");
  auto [s2, b2] = Get("/v1/events", ingest_);
  EXPECT_EQ(s2, 403);
  auto [s3, b3] = Get("/v1/devices", reader_);
  EXPECT_EQ(s3, 403);
  auto [s4, b4] = Get("/v1/devices", admin_);
  ASSERT_EQ(s4, 200);
  EXPECT_EQ(b4["devices"].size(), 3u);
  EXPECT_EQ(Post("[" + Ev("a") + "]", admin_).first, 200);  // admin implies every scope
}

TEST_F(ServerTest, RevokedTokenStopsWorkingWhileServing) {
  ASSERT_EQ(Post("[" + Ev("a") + "]", ingest_).first, 200);
  CommandResult r = RunHearth({"device", "revoke", "phone", "--dir", dir_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto [status, body] = Post("[" + Ev("b") + "]", ingest_);
  EXPECT_EQ(status, 401);
  EXPECT_EQ(body["error"]["code"], "unauthenticated");
  EXPECT_EQ(EventCount(), 1);
}

TEST_F(ServerTest, BadInputGetsAClearErrorAndChangesNothing) {
  ASSERT_EQ(Post("[" + Ev("keep") + "]", ingest_).first, 200);
  struct Case {
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"[{\"id\":\"x\",", 400, "malformed_json"},
      {"not json at all", 400, "malformed_json"},
      {"[" + Ev("x") + ", 7]", 400, "invalid_events"},
      {R"([{"id":"x","layer":"smell","kind":"a","time":0}])", 400, "invalid_events"},
      {R"([{"id":"x","layer":"text","kind":"a","time":"2201-01-01T00:00:00Z"}])", 400, "invalid_events"},
      {R"([{"id":"x","layer":"text","kind":"a","time":"1850-01-01T00:00:00Z"}])", 400, "invalid_events"},
      {R"([{"id":["x"],"layer":"text","kind":"a","time":0}])", 400, "invalid_events"},
      {"[" + Ev("ok") + R"(,{"id":"x","layer":"text","kind":"a","time":0,"text":")" + "\xff\xfe" + "\"}]", 400,
       "invalid_utf8"},
      {"[" + Ev("ok") + R"(,{"id":"x","layer":"text","kind":"a","time":0,"text":")" + std::string(1100000, 'x') + "\"}]",
       413, "event_too_large"},
      {"", 400, "empty_batch"},
  };
  for (const Case& c : cases) {
    auto [status, body] = Post(c.body, ingest_);
    EXPECT_EQ(status, c.status) << c.body.substr(0, 80) << " -> " << body.dump().substr(0, 300);
    EXPECT_EQ(body["error"]["code"], c.code) << c.body.substr(0, 80);
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }
  // One error per bad event, with index, field and reason.
  auto [status, body] = Post("[" + Ev("ok") + R"(,{"id":"x","layer":"text","kind":"a","time":"noon"}])", ingest_);
  ASSERT_EQ(status, 400);
  ASSERT_EQ(body["error"]["details"].size(), 1u);
  EXPECT_EQ(body["error"]["details"][0]["index"], 1);
  EXPECT_EQ(body["error"]["details"][0]["field"], "time");
  EXPECT_EQ(EventCount(), 1);  // nothing of any refused batch was stored
}

TEST_F(ServerTest, UnknownEndpointIsAJsonError) {
  auto [status, body] = Get("/v1/nothing-here", admin_);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["error"]["code"], "not_found");
}

TEST_F(ServerTest, BlobsStreamInAndOutEncrypted) {
  std::string payload(300'000, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 131) ^ (i >> 7));
  auto put = node_->Client(ingest_)->Put("/v1/blobs", payload, "application/octet-stream");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;
  const std::string id = json::parse(put->body)["id"];
  EXPECT_EQ(id.size(), 64u);

  auto get = node_->Client(reader_)->Get(("/v1/blobs/" + id).c_str());
  ASSERT_TRUE(get);
  ASSERT_EQ(get->status, 200);
  EXPECT_TRUE(get->body == payload);

  // At rest the file does not contain the plaintext.
  const std::string path = dir_ + "/blobs/" + id.substr(0, 2) + "/" + id;
  FILE* f = fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string stored(400'000, '\0');
  stored.resize(fread(stored.data(), 1, stored.size(), f));
  fclose(f);
  EXPECT_EQ(stored.find(payload.substr(1000, 64)), std::string::npos);

  // Events can refer to it.
  auto [s, b] = Post(R"([{"id":"p","layer":"visual","kind":"photo","time":0,"blobs":[")" + id + "\"]}]", ingest_);
  EXPECT_EQ(s, 200) << b.dump();

  auto missing = node_->Client(reader_)->Get(("/v1/blobs/" + std::string(64, 'f')).c_str());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto bad = node_->Client(reader_)->Get("/v1/blobs/not-an-id");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(ServerTest, StopsCleanlyOnSigterm) {
  ASSERT_EQ(Post("[" + Ev("a") + "]", ingest_).first, 200);
  EXPECT_EQ(node_->Stop(SIGTERM), 0);
  struct stat st;
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((dir_ + "/hearth.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second node on the same directory sees the event.
  node_ = NodeProcess::Start(dir_);
  ASSERT_NE(node_, nullptr);
  EXPECT_EQ(EventCount(), 1);
}

TEST_F(ServerTest, SecondNodeOnTheSameDirectoryIsRefused) {
  std::string error;
  auto second = NodeProcess::Start(dir_, {}, &error);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

// Limits come from configuration (here the environment).
class LimitsTest : public ServerTest {
 protected:
  void SetUp() override {
    Boot({{"HEARTH_DATA_MAX_BATCH_EVENTS", "3"}, {"HEARTH_DATA_MAX_EVENT_BYTES", "300"},
          {"HEARTH_DATA_MAX_REQUEST_BYTES", "2000"}});
  }
};

TEST_F(LimitsTest, EachLimitIsAClear413) {
  auto [s1, b1] = Post("[" + Ev("1") + "," + Ev("2") + "," + Ev("3") + "," + Ev("4") + "]", ingest_);
  EXPECT_EQ(s1, 413);
  EXPECT_EQ(b1["error"]["code"], "too_many_events");
  auto [s2, b2] = Post(R"([{"id":"x","layer":"text","kind":"a","time":0,"text":")" + std::string(400, 'x') + "\"}]", ingest_);
  EXPECT_EQ(s2, 413);
  EXPECT_EQ(b2["error"]["code"], "event_too_large");
  auto [s3, b3] = Post("[" + std::string(3000, ' ') + Ev("1") + "]", ingest_);
  EXPECT_EQ(s3, 413);
  EXPECT_EQ(b3["error"]["code"], "request_too_large");
  EXPECT_EQ(Post("[" + Ev("1") + "," + Ev("2") + "," + Ev("3") + "]", ingest_).first, 200);
  EXPECT_EQ(EventCount(), 3);
}

TEST(ServerConfig, BadLimitIsRefusedAtStart) {
  TempDir tmp;
  std::string error;
  auto node = NodeProcess::Start(tmp.Sub("d"), {{"HEARTH_DATA_MAX_BATCH_EVENTS", "lots"}}, &error);
  EXPECT_EQ(node, nullptr);
  EXPECT_NE(error.find("HEARTH_DATA_MAX_BATCH_EVENTS"), std::string::npos) << error;
}

}  // namespace
}  // namespace hearth::testing
