// Crash test: a real client ingests while the real node is SIGKILLed at
// random moments, over and over. Afterwards every acknowledged event is
// present exactly once, every batch is all-or-nothing, and the directory
// passes `hearth data check`.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/support/node.h"

namespace hearth::testing {
namespace {

using nlohmann::json;

struct Batch {
  std::vector<std::string> ids;
  std::string body;
  bool acked = false;
};

Batch MakeBatch(int number, int size) {
  Batch b;
  json events = json::array();
  for (int i = 0; i < size; ++i) {
    std::string id = fmt::format("b{}-e{}", number, i);
    events.push_back({{"id", id}, {"layer", "behavioral"}, {"kind", "app.focus"}, {"time", 1'700'000'000'000'000 + i},
                      {"text", fmt::format("event {} of batch {}", i, number)}, {"data", {{"n", i}}}});
    b.ids.push_back(std::move(id));
  }
  b.body = events.dump();
  return b;
}

TEST(CrashTest, AcknowledgedEventsSurviveSigkill) {
  constexpr int kRounds = 50;
  const unsigned seed = static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::mt19937 rng(seed);
  SCOPED_TRACE(fmt::format("seed {}", seed));
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  const std::string token = AddDevice(dir, "phone", "ingest,read");
  ASSERT_FALSE(token.empty());

  std::vector<Batch> batches;
  int pending = -1;  // index of a batch sent without an answer; resent next round
  int killed_mid_request = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::string error;
    auto node = NodeProcess::Start(dir, {}, &error);
    ASSERT_NE(node, nullptr) << "round " << round << ": " << error;
    std::atomic<bool> stop{false};
    std::uniform_int_distribution<int> batch_size(1, 40);
    std::vector<int> sizes(200);
    for (int& s : sizes) s = batch_size(rng);
    std::thread client([&] {
      auto http = node->Client(token);
      size_t next_size = 0;
      while (!stop.load()) {
        if (pending < 0) {
          batches.push_back(MakeBatch(static_cast<int>(batches.size()), sizes[next_size++ % sizes.size()]));
          pending = static_cast<int>(batches.size()) - 1;
        }
        Batch& b = batches[static_cast<size_t>(pending)];
        auto res = http->Post("/v1/events", b.body, "application/json");
        if (!res) return;  // the node died under us; resend next round
        if (res->status != 200) {
          ADD_FAILURE() << "status " << res->status << ": " << res->body;
          return;
        }
        json answer = json::parse(res->body);
        EXPECT_EQ(answer["stored"].get<size_t>() + answer["duplicates"].get<size_t>(), b.ids.size());
        b.acked = true;
        pending = -1;
      }
    });
    std::uniform_int_distribution<int> delay_ms(10, 150);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    EXPECT_EQ(node->Stop(SIGKILL), 128 + SIGKILL);
    stop.store(true);
    client.join();
    if (pending >= 0) ++killed_mid_request;
    if (::testing::Test::HasFailure()) return;
  }

  // Read everything back through a fresh node.
  auto node = NodeProcess::Start(dir);
  ASSERT_NE(node, nullptr);
  std::map<std::string, int> seen;
  int64_t after = 0;
  auto http = node->Client(token);
  while (true) {
    auto res = http->Get(fmt::format("/v1/events?after={}&limit=5000", after).c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    json page = json::parse(res->body);
    if (page["events"].empty()) break;
    for (const auto& e : page["events"]) ++seen[e["id"].get<std::string>()];
    after = page["next"];
  }
  EXPECT_EQ(node->Stop(SIGTERM), 0);

  size_t acked_events = 0, acked_batches = 0, expected_total = 0;
  for (const Batch& b : batches) {
    size_t present = 0;
    for (const auto& id : b.ids) {
      auto it = seen.find(id);
      if (it != seen.end()) {
        EXPECT_EQ(it->second, 1) << id << " stored more than once";
        ++present;
      }
    }
    if (b.acked) {
      ++acked_batches;
      acked_events += b.ids.size();
      EXPECT_EQ(present, b.ids.size()) << "acknowledged batch lost events: " << b.ids[0];
    } else {
      EXPECT_TRUE(present == 0 || present == b.ids.size()) << "half-written batch " << b.ids[0];
    }
    expected_total += present;
  }
  EXPECT_EQ(seen.size(), expected_total) << "events present that were never sent";
  EXPECT_GT(acked_batches, 0u);
  std::printf("crash test: %d rounds, %zu batches acknowledged (%zu events), %d kills during a request\n", kRounds,
              acked_batches, acked_events, killed_mid_request);

  CommandResult check = RunHearth({"data", "check", "--dir", dir});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
}  // namespace hearth::testing
