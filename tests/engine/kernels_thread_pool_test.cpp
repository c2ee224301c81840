#include "engine/kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

namespace hearth::engine::kernels {
namespace {

// Runs one ParallelFor and checks every index in [0, n) was visited once.
void ExpectEachIndexOnce(ThreadPool& pool, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int64_t> bad_ranges{0};
  pool.ParallelFor(
      n,
      [&](int64_t b, int64_t e) {
        if (b < 0 || e > n || b >= e) bad_ranges.fetch_add(1);
        for (int64_t i = b; i < e && i < n; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      },
      grain);
  EXPECT_EQ(bad_ranges.load(), 0);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "index " << i << " of " << n;
}

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {1, 2, 3, 7, 64, 1000, 4097}) {
      for (int64_t grain : {0, 1, 5, 4096}) ExpectEachIndexOnce(pool, n, grain);
    }
  }
}

TEST(ThreadPool, ZeroTasksCallsNothing) {
  ThreadPool pool(2);
  int calls = 0;
  pool.ParallelFor(0, [&](int64_t, int64_t) { ++calls; });
  pool.ParallelFor(-5, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, RepeatedDispatchStaysCorrect) {
  // Generation dispatches thousands of small regions; each must see all of
  // its own work and none of the previous one's.
  ThreadPool pool(2);
  std::vector<int64_t> out(64);
  for (int round = 0; round < 3000; ++round) {
    pool.ParallelFor(
        64, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) out[static_cast<size_t>(i)] = round + i; }, 1);
    for (int64_t i = 0; i < 64; i += 21) ASSERT_EQ(out[static_cast<size_t>(i)], round + i) << "round " << round;
  }
}

TEST(ThreadPool, WorkersWakeAfterSleeping) {
  ThreadPool pool(2);
  ExpectEachIndexOnce(pool, 100, 1);
  // Long enough for the worker to stop spinning and sleep on the futex.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ExpectEachIndexOnce(pool, 100, 1);
}

TEST(ThreadPool, UsesOtherThreadsAndReportsTheirIndex) {
  ThreadPool pool(2);
  std::mutex mu;
  std::set<int> seen;
  std::set<std::thread::id> ids;
  for (int round = 0; round < 200 && ids.size() < 2; ++round) {
    pool.ParallelFor(
        256,
        [&](int64_t, int64_t) {
          // Some work so the worker gets a chance to claim a chunk.
          volatile int64_t sink = 0;
          for (int i = 0; i < 2000; ++i) sink = sink + i;
          std::lock_guard<std::mutex> lock(mu);
          seen.insert(ThreadPool::CurrentThread());
          ids.insert(std::this_thread::get_id());
        },
        1);
  }
  EXPECT_EQ(ids.size(), 2u) << "the worker never ran a chunk";
  for (int t : seen) {
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 2);
  }
  EXPECT_EQ(ThreadPool::CurrentThread(), 0);
}

TEST(ThreadPool, ScratchIsAlignedReservedAndGrows) {
  ThreadPool pool(2);
  pool.Reserve(1000, 300);
  EXPECT_GE(pool.reserved_bytes(), 1000u + 2 * 300u);
  void* a = pool.SharedScratch(1000);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  EXPECT_EQ(pool.SharedScratch(500), a) << "a smaller request must not reallocate";
  void* t1 = pool.ThreadScratch(1, 300);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t1) % 64, 0u);
  EXPECT_NE(t1, pool.ThreadScratch(0, 300));
  void* big = pool.SharedScratch(1 << 20);
  static_cast<char*>(big)[(1 << 20) - 1] = 1;  // writable to the end (ASan checks)
  EXPECT_GE(pool.reserved_bytes(), size_t{1} << 20);
}

}  // namespace
}  // namespace hearth::engine::kernels
