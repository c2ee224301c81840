// The memory plan: exact sizes, refusal before allocation, and resident
// memory staying inside the plan during a long generation.
#include "engine/memory_plan.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "engine/support/tiny_model.h"

// Counts heap allocations of this test binary, so a test can prove that a
// refused session allocated nothing large and that generation allocates
// nothing at all.
namespace {
std::atomic<uint64_t> g_allocations{0};
std::atomic<uint64_t> g_large_bytes{0};  // allocations of 1 MiB or more
void* Count(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n >= (1u << 20)) g_large_bytes.fetch_add(n, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(size_t n) {
  void* p = Count(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) {
  void* p = Count(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Count(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Count(n); }
// Count() allocates with malloc, so free() is the matching release; g++
// cannot see that through the replaced operator new.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace hearth::engine {
namespace {

// kB fields of /proc/self/status, in bytes.
uint64_t ProcStatusBytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

class MemoryPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("hearth-plan");
    testing::TinySpec spec;
    spec.type = GgmlType::kQ8_0;
    spec.n_layer = 2;
    spec.n_ctx = 4096;
    path_ = dir_ + "/tiny.gguf";
    ASSERT_TRUE(testing::WriteTinyModel(spec, path_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(MemoryPlanTest, PlanCountsWeightsKvAndScratchExactly) {
  auto model = Model::Load(path_);
  ASSERT_TRUE(model.ok());
  const HParams& hp = (*model)->hparams();
  PlanRequest r;
  r.n_ctx = 1000;
  r.n_seq = 3;
  r.n_batch = 64;
  r.n_threads = 2;
  auto plan = PlanMemory(**model, r);
  ASSERT_TRUE(plan.ok());
  // Every tensor byte, i.e. the data section less at most one alignment
  // padding per tensor.
  const uint64_t data_section = std::filesystem::file_size(path_) - (*model)->gguf().data_offset();
  const uint64_t n_tensors = (*model)->gguf().tensors().size();
  EXPECT_LE(plan->weight_bytes, data_section);
  EXPECT_GE(plan->weight_bytes, data_section - n_tensors * (*model)->gguf().alignment());
  EXPECT_EQ(plan->kv_bytes, 2ull * hp.n_layer * 1000 * hp.kv_dim() * 2 * 3);
  EXPECT_EQ(plan->scratch.x, 64 * hp.n_embd);
  EXPECT_EQ(plan->scratch.logits, hp.n_vocab);
  EXPECT_EQ(plan->scratch.scores, 2 * 1000);
  EXPECT_EQ(plan->Total(), plan->weight_bytes + plan->kv_bytes + plan->scratch_bytes + plan->overhead_bytes);
  r.all_logits = true;
  auto all = PlanMemory(**model, r);
  EXPECT_EQ(all->scratch.logits, 64 * hp.n_vocab);
  r.n_ctx = 0;
  EXPECT_FALSE(PlanMemory(**model, r).ok());
}

TEST_F(MemoryPlanTest, OversizedContextIsRefusedBeforeAnythingIsAllocated) {
  auto model = Model::Load(path_);
  ASSERT_TRUE(model.ok());
  SessionOptions o;
  o.n_ctx = 1 << 20;  // KV cache alone: 2 * 2 layers * 1M * 128 * 2 B = 1 GiB
  o.n_threads = 1;
  o.mem_budget = uint64_t{96} << 20;
  const uint64_t large_before = g_large_bytes.load();
  auto s = Session::Open(**model, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kResourceExhausted);
  const std::string& msg = s.status().message();
  EXPECT_NE(msg.find("KV cache 1.00 GiB for ctx 1048576"), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory budget is 96.0 MiB (--mem-budget)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("would fit (--ctx "), std::string::npos) << msg;
  EXPECT_EQ(g_large_bytes.load(), large_before) << "a refused session allocated large buffers";

  // The suggested context does fit.
  const size_t at = msg.find("(--ctx ") + 7;
  o.n_ctx = std::stoll(msg.substr(at));
  EXPECT_GT(o.n_ctx, 1024);
  auto ok = Session::Open(**model, o);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_LE((*ok)->plan().Total(), *o.mem_budget);
  EXPECT_GT(g_large_bytes.load(), large_before);  // the counter does see the real allocation
}

TEST_F(MemoryPlanTest, ModelLargerThanBudgetSuggestsASmallerQuantization) {
  testing::TinySpec spec;
  spec.type = GgmlType::kF32;
  spec.n_embd = 512;
  spec.n_ff = 1024;
  spec.n_vocab = 1024;
  ASSERT_TRUE(testing::WriteTinyModel(spec, dir_ + "/f32.gguf").ok());
  auto model = Model::Load(dir_ + "/f32.gguf");
  ASSERT_TRUE(model.ok());
  PlanRequest r;
  r.n_ctx = 256;
  auto plan = PlanMemory(**model, r);
  ASSERT_TRUE(plan.ok());
  // Room for everything but half of the f32 weights: q8_0 (~27%) fits.
  const MemoryBudget budget = FixedBudget(plan->Total() - plan->weight_bytes / 2);
  Status st = CheckPlanFits(*plan, **model, budget);
  ASSERT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("a q8_0 quantization"), std::string::npos) << st.message();
  EXPECT_TRUE(CheckPlanFits(*plan, **model, FixedBudget(plan->Total())).ok());
}

TEST_F(MemoryPlanTest, ResidentMemoryStaysWithinThePlanAndGenerationAllocatesNothing) {
  const uint64_t rss_before = ProcStatusBytes("VmRSS");
  auto model = Model::Load(path_);
  ASSERT_TRUE(model.ok());
  SessionOptions o;
  o.n_ctx = 1024;
  o.n_threads = 1;
  o.mem_budget = uint64_t{1} << 30;
  auto s = Session::Open(**model, o);
  ASSERT_TRUE(s.ok());
  const MemoryPlan& plan = (*s)->plan();
  SamplerParams sp;
  sp.temperature = 0.9f;
  sp.seed = 3;
  sp.repeat_penalty = 1.1f;
  auto sampler = Sampler::Create(sp, (*model)->hparams().n_vocab);
  ASSERT_TRUE(sampler.ok());
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE((*s)->Evaluate(prompt).ok());

  const uint64_t allocations_before = g_allocations.load();
  for (int i = 0; i < 600; ++i) {
    int32_t t = sampler->Sample((*s)->logits());
    sampler->Accept(t);
    ASSERT_TRUE((*s)->Evaluate({&t, 1}).ok());
  }
  EXPECT_EQ(g_allocations.load(), allocations_before) << "generation allocated memory";
  EXPECT_EQ((*s)->n_past(), 608);
  const uint64_t hwm = ProcStatusBytes("VmHWM");
  const uint64_t grown = ProcStatusBytes("VmRSS") - rss_before;
  // The plan's overhead allowance covers the runtime (thread stacks, heap
  // bookkeeping); sanitizer shadow memory is an eighth of what is touched.
  EXPECT_LE(grown, plan.Total() + plan.Total() / 8) << "RSS grew by " << grown << " with a plan of " << plan.Total();
  EXPECT_LE(hwm - rss_before, plan.Total() + plan.Total() / 8);
}

TEST(ParseSizeTest, UnitsAndErrors) {
  EXPECT_EQ(*ParseSize("512M"), 512ull << 20);
  EXPECT_EQ(*ParseSize("8G"), 8ull << 30);
  EXPECT_EQ(*ParseSize("1.5GiB"), 3ull << 29);
  EXPECT_EQ(*ParseSize("1000"), 1000u);
  auto bad = ParseSize("12Q");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown unit 'q'"), std::string::npos);
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("G").ok());
}

TEST(DetectBudgetTest, BudgetIsBelowMemAvailableMinusReserve) {
  auto b = DetectBudget(uint64_t{64} << 20);
  ASSERT_TRUE(b.ok());
  EXPECT_GT(b->mem_available, 0u);
  EXPECT_LE(b->budget + b->reserve, b->mem_available);
  if (b->has_cgroup_limit) {
    EXPECT_LE(b->budget, b->cgroup_headroom);
  }
}

}  // namespace
}  // namespace hearth::engine
