// The spooling client against a real data node: batches survive the node
// being killed mid-stream and arrive exactly once.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "ingest/data_client.h"
#include "ingest/spool.h"
#include "ingest/support/ingest_node.h"

namespace hearth::ingest {
namespace {

using ingest_testing::Node;
using ingest_testing::TempDir;

nlohmann::json Event(int i) {
  return {{"id", "ev-" + std::to_string(i)}, {"layer", "behavioral"}, {"kind", "test.tick"},
          {"time", 1700000000000000LL + i}, {"data", {{"i", i}}}};
}

TEST(SpoolTest, SegmentsAreDurablePrivateAndOrdered) {
  TempDir tmp;
  const std::string dir = tmp.Sub("spool");
  {
    auto spool = Spool::Open(dir);
    ASSERT_TRUE(spool.ok()) << spool.status().ToString();
    ASSERT_TRUE(spool->Append("a\n").ok());
    ASSERT_TRUE(spool->Append("b\n").ok());
    ASSERT_TRUE(spool->Append("c\n").ok());
    ASSERT_TRUE(spool->Remove(2).ok());
    struct stat st;
    ASSERT_EQ(stat(spool->SegmentPath(1).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    // A second owner is refused while the first holds the lock.
    auto second = Spool::Open(dir);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  }
  std::ofstream(dir + "/0000000000000009.ndjson.tmp") << "half";  // a crashed append
  auto spool = Spool::Open(dir);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ(spool->Pending(), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(*spool->Read(3), "c\n");
  EXPECT_FALSE(std::filesystem::exists(dir + "/0000000000000009.ndjson.tmp"));
  auto next = spool->Append("d\n");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 4u);
}

TEST(DataClientTest, RejectsMissingTokenAndBadUrl) {
  TempDir tmp;
  ClientOptions o{.url = "127.0.0.1:1", .token = "hth_x", .spool_dir = tmp.Sub("s")};
  EXPECT_EQ(DataClient::Open(o).status().code(), StatusCode::kInvalidArgument);
  o.url = "http://127.0.0.1:1";
  o.token = "";
  EXPECT_EQ(DataClient::Open(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(DataClientTest, NodeKilledMidStreamEverythingArrivesExactlyOnce) {
  TempDir tmp;
  Node node(tmp.Sub("node"));
  std::string error;
  ASSERT_TRUE(node.Start(&error)) << error;
  ClientOptions o{.url = node.url(), .token = node.token(), .spool_dir = tmp.Sub("spool"), .batch_events = 50,
                  .initial_backoff = std::chrono::milliseconds(20), .max_backoff = std::chrono::milliseconds(200)};
  const int kEvents = 3000;
  {
    auto client = DataClient::Open(o);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    for (int i = 0; i < kEvents; ++i) {
      if (i == 1000) {
        ASSERT_EQ(node.Stop(SIGKILL), 128 + SIGKILL);
      }
      if (i == 1800) {
        ASSERT_TRUE(node.Start(&error)) << error;  // same port, same dir
      }
      if (i == 2200) node.Stop(SIGTERM);
      ASSERT_TRUE((*client)->Add(Event(i)).ok());
    }
    // The process "exits" with the node down: batches stay queued on disk.
    Status drained = (*client)->Drain(std::chrono::milliseconds(300));
    EXPECT_EQ(drained.code(), StatusCode::kUnavailable);
    EXPECT_GT((*client)->queued_segments(), 0u);
    EXPECT_GT((*client)->stats().failed_attempts, 0u);
  }
  ASSERT_TRUE(node.Start(&error)) << error;
  {
    // The next run (a fresh client on the same spool) delivers the rest.
    auto client = DataClient::Open(o);
    ASSERT_TRUE(client.ok());
    EXPECT_GT((*client)->queued_segments(), 0u);
    ASSERT_TRUE((*client)->Drain(std::chrono::seconds(30)).ok());
    EXPECT_EQ((*client)->queued_segments(), 0u);
  }
  auto events = node.Events();
  ASSERT_EQ(events.size(), static_cast<size_t>(kEvents));
  std::set<std::string> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    ids.insert(events[i]["id"].get<std::string>());
    // Arrival order is the order of Add: the spool sends oldest first.
    EXPECT_EQ(events[i]["data"]["i"], static_cast<int>(i));
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kEvents));
}

TEST(DataClientTest, RefusedBatchMovesToRejectedAndReportsTheNodesReason) {
  TempDir tmp;
  Node node(tmp.Sub("node"));
  std::string error;
  ASSERT_TRUE(node.Start(&error)) << error;
  ClientOptions o{.url = node.url(), .token = node.token(), .spool_dir = tmp.Sub("spool"), .batch_events = 10};
  auto client = DataClient::Open(o);
  ASSERT_TRUE(client.ok());
  nlohmann::json bad = Event(1);
  bad["layer"] = "dreams";
  ASSERT_TRUE((*client)->Add(bad).ok());
  Status st = (*client)->Drain(std::chrono::seconds(10));
  ASSERT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("invalid_events"), std::string::npos) << st.message();
  EXPECT_EQ((*client)->queued_segments(), 0u);
  EXPECT_TRUE(std::filesystem::exists(tmp.Sub("spool") + "/rejected/0000000000000001.ndjson"));
}

TEST(DataClientTest, WrongTokenKeepsTheQueue) {
  TempDir tmp;
  Node node(tmp.Sub("node"));
  std::string error;
  ASSERT_TRUE(node.Start(&error)) << error;
  ClientOptions o{.url = node.url(), .token = "hth_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                  .spool_dir = tmp.Sub("spool"), .batch_events = 10};
  auto client = DataClient::Open(o);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Add(Event(1)).ok());
  EXPECT_EQ((*client)->Drain(std::chrono::seconds(10)).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ((*client)->queued_segments(), 1u);
}

}  // namespace
}  // namespace hearth::ingest
