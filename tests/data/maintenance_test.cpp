// `hearth data backup|restore|check` and `hearth device …` as real processes,
// including a backup taken while the node is ingesting.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/support/node.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

std::string Batch(int from, int count) {
  json events = json::array();
  for (int i = from; i < from + count; ++i) {
    events.push_back({{"id", fmt::format("e{}", i)}, {"layer", "text"}, {"kind", "chat.message"}, {"time", i}});
  }
  return events.dump();
}

int64_t Count(NodeProcess& node, const std::string& token) {
  auto res = node.Client(token)->Get("/v1/stats");
  if (!res || res->status != 200) return -1;
  return json::parse(res->body)["events"].get<int64_t>();
}

TEST(DeviceCommands, AddListRevoke) {
  TempDir tmp;
  const std::string dir = tmp.Sub("d");
  const std::string token = AddDevice(dir, "phone", "ingest,read");
  EXPECT_EQ(token.size(), 47u);
  CommandResult dup = RunHearth({"device", "add", "phone", "--dir", dir});
  EXPECT_NE(dup.exit_code, 0);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup.err;
  CommandResult bad = RunHearth({"device", "add", "tv", "--scopes", "ingest,write", "--dir", dir});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("unknown scope 'write'"), std::string::npos) << bad.err;

  CommandResult list = RunHearth({"device", "list", "--dir", dir});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("phone"), std::string::npos);
  EXPECT_NE(list.out.find("ingest,read"), std::string::npos);
  EXPECT_NE(list.out.find("active"), std::string::npos);
  EXPECT_EQ(list.out.find(token), std::string::npos);  // never shown again

  ASSERT_EQ(RunHearth({"device", "revoke", "phone", "--dir", dir}).exit_code, 0);
  list = RunHearth({"device", "list", "--dir", dir});
  EXPECT_NE(list.out.find("revoked"), std::string::npos) << list.out;
  CommandResult again = RunHearth({"device", "revoke", "ghost", "--dir", dir});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("no device named 'ghost'"), std::string::npos);
}

TEST(Maintenance, BackupWhileServingThenCheckAndRestore) {
  TempDir tmp;
  const std::string dir = tmp.Sub("live");
  const std::string token = AddDevice(dir, "phone", "ingest,read");
  auto node = NodeProcess::Start(dir);
  ASSERT_NE(node, nullptr);
  auto put = node->Client(token)->Put("/v1/blobs", std::string(150'000, 'p'), "application/octet-stream");
  ASSERT_TRUE(put && put->status == 201);
  const std::string blob_id = json::parse(put->body)["id"];

  // Keep ingesting while the backup runs.
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread writer([&] {
    auto http = node->Client(token);
    for (int i = 0; !stop.load(); i += 20) {
      auto res = http->Post("/v1/events", Batch(i, 20), "application/json");
      if (!res || res->status != 200) return;
      sent += 20;
    }
  });
  while (sent.load() < 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CommandResult backup = RunHearth({"data", "backup", tmp.Sub("bak"), "--dir", dir});
  stop.store(true);
  writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  const int64_t live_total = Count(*node, token);
  EXPECT_EQ(live_total, sent.load());
  EXPECT_EQ(node->Stop(SIGTERM), 0);

  CommandResult check = RunHearth({"data", "check", "--dir", tmp.Sub("bak")});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("1 blobs verified"), std::string::npos) << check.out;

  // Refuses to overwrite a backup target.
  CommandResult twice = RunHearth({"data", "backup", tmp.Sub("bak"), "--dir", dir});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("not empty"), std::string::npos) << twice.err;

  // Restore into a fresh directory and serve it.
  const std::string restored = tmp.Sub("restored");
  CommandResult restore = RunHearth({"data", "restore", tmp.Sub("bak"), "--dir", restored});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  auto node2 = NodeProcess::Start(restored);
  ASSERT_NE(node2, nullptr);
  const int64_t restored_total = Count(*node2, token);
  EXPECT_GE(restored_total, 100);   // everything acknowledged before the backup began
  EXPECT_LE(restored_total, live_total);
  EXPECT_EQ(restored_total % 20, 0);  // whole batches only: a consistent snapshot
  auto blob = node2->Client(token)->Get(("/v1/blobs/" + blob_id).c_str());
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->status, 200);
  EXPECT_EQ(blob->body, std::string(150'000, 'p'));

  // Restore refuses while a node serves the directory, and without --force.
  CommandResult busy = RunHearth({"data", "restore", tmp.Sub("bak"), "--dir", restored, "--force"});
  EXPECT_NE(busy.exit_code, 0);
  EXPECT_NE(busy.err.find("in use"), std::string::npos) << busy.err;
  node2->Stop(SIGTERM);
  CommandResult noforce = RunHearth({"data", "restore", tmp.Sub("bak"), "--dir", restored});
  EXPECT_NE(noforce.exit_code, 0);
  EXPECT_NE(noforce.err.find("--force"), std::string::npos) << noforce.err;
  EXPECT_EQ(RunHearth({"data", "restore", tmp.Sub("bak"), "--dir", restored, "--force"}).exit_code, 0);
}

TEST(Maintenance, CheckReportsDamage) {
  TempDir tmp;
  const std::string dir = tmp.Sub("d");
  const std::string token = AddDevice(dir, "phone", "ingest,read");
  std::string blob_id;
  {
    auto node = NodeProcess::Start(dir);
    ASSERT_NE(node, nullptr);
    auto put = node->Client(token)->Put("/v1/blobs", std::string(1000, 'z'), "application/octet-stream");
    ASSERT_TRUE(put && put->status == 201);
    blob_id = json::parse(put->body)["id"];
    ASSERT_EQ(node->Client(token)->Post("/v1/events", Batch(0, 5), "application/json")->status, 200);
    node->Stop(SIGTERM);
  }
  EXPECT_EQ(RunHearth({"data", "check", "--dir", dir}).exit_code, 0);
  const std::string path = dir + "/blobs/" + blob_id.substr(0, 2) + "/" + blob_id;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('!');
  }
  CommandResult check = RunHearth({"data", "check", "--dir", dir});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE(check.err.find(blob_id), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("1 problem"), std::string::npos) << check.err;

  // The node refuses to serve the damaged blob, cleanly.
  auto node = NodeProcess::Start(dir);
  ASSERT_NE(node, nullptr);
  auto get = node->Client(token)->Get(("/v1/blobs/" + blob_id).c_str());
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 500);
  EXPECT_EQ(json::parse(get->body)["error"]["code"], "blob_corrupt");
  node->Stop(SIGTERM);

  // A damaged database page is reported too.
  {
    std::fstream f(dir + "/hearth.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 + 200);
    for (int i = 0; i < 64; ++i) f.put('\x5a');
  }
  check = RunHearth({"data", "check", "--dir", dir});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_NE(check.err.find("problem"), std::string::npos) << check.err;
}

TEST(Maintenance, ServeRefusesANewerSchema) {
  TempDir tmp;
  const std::string dir = tmp.Sub("d");
  AddDevice(dir, "phone", "ingest");
  CommandResult r = RunHearth({"device", "list", "--dir", dir});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(std::system(fmt::format("sqlite3 '{}/hearth.db' \"INSERT INTO schema_migrations VALUES(7,0,'x')\"", dir).c_str()), 0);
  std::string error;
  auto node = NodeProcess::Start(dir, {}, &error);
  EXPECT_EQ(node, nullptr);
  EXPECT_NE(error.find("schema version 7, newer than this build"), std::string::npos) << error;
}

TEST(Maintenance, InterruptedHttpUploadLeavesNothing) {
  TempDir tmp;
  const std::string dir = tmp.Sub("d");
  const std::string token = AddDevice(dir, "phone", "ingest,read");
  auto node = NodeProcess::Start(dir);
  ASSERT_NE(node, nullptr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(node->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string head = fmt::format(
      "PUT /v1/blobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 10000000\r\n\r\n", token);
  ASSERT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  const std::string part(300'000, 'q');
  ASSERT_EQ(write(fd, part.data(), part.size()), static_cast<ssize_t>(part.size()));
  // Wait until the upload is under way, then drop the connection.
  const std::string tmpdir = dir + "/blobs/tmp";
  for (int i = 0; i < 200 && std::filesystem::is_empty(tmpdir); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(std::filesystem::is_empty(tmpdir));
  close(fd);
  bool cleaned = false;
  for (int i = 0; i < 500 && !cleaned; ++i) {
    cleaned = std::filesystem::is_empty(tmpdir);
    if (!cleaned) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(cleaned) << "temporary upload file left behind";
  size_t blobs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/blobs")) blobs += e.path().filename() != "tmp";
  EXPECT_EQ(blobs, 0u);
}

}  // namespace
}  // namespace hearth::testing
