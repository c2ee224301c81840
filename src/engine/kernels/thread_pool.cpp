#include "engine/kernels/thread_pool.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <new>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEARTH_PAUSE() _mm_pause()
#else
#define HEARTH_PAUSE() std::this_thread::yield()
#endif

namespace hearth::engine::kernels {
namespace {

// How long an idle worker spins before it sleeps. The forward pass runs
// small single-threaded ops between matrix products (microseconds), so a
// worker should still be spinning when the next product arrives; between
// tokens (sampling, detokenizing) it may sleep.
constexpr int kSpinIterations = 1 << 15;
// How long the caller spins on stragglers before yielding its core (the
// straggler may be waiting for this very core on an oversubscribed host).
constexpr int kCallerSpinIterations = 1 << 12;

thread_local int tls_thread_index = 0;

// ThreadPool::state_ bits.
constexpr uint32_t kOpen = 1;
constexpr uint32_t kJoined = 2;  // one joined worker

void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  thread_scratch_.resize(static_cast<size_t>(n_threads_));
  threads_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  generation_.fetch_add(1, std::memory_order_seq_cst);  // the job stays closed: workers just exit
  FutexWakeAll(&generation_);
  for (auto& t : threads_) t.join();
  for (auto& b : thread_scratch_) ::operator delete(b.data, std::align_val_t(64));
  ::operator delete(shared_scratch_.data, std::align_val_t(64));
}

int ThreadPool::CurrentThread() { return tls_thread_index; }

void ThreadPool::Run(int64_t n_tasks, int64_t grain, TaskFn fn, void* ctx) {
  if (n_tasks <= 0) return;
  if (grain <= 0) grain = std::max<int64_t>(1, (n_tasks + 4 * n_threads_ - 1) / (4 * n_threads_));
  if (n_threads_ == 1 || n_tasks <= grain) {
    for (int64_t b = 0; b < n_tasks; b += grain) fn(ctx, b, std::min(n_tasks, b + grain));
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  n_tasks_ = n_tasks;
  grain_ = grain;
  next_.store(0, std::memory_order_relaxed);
  state_.store(kOpen, std::memory_order_seq_cst);  // publishes the fields above
  // seq_cst pairs with the sleeper count in WorkerLoop: either a worker sees
  // the new generation before sleeping, or we see it asleep and wake it.
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) FutexWakeAll(&generation_);

  DoChunks();

  // Every chunk is claimed: close the job so no late worker joins, then wait
  // for those that did join (they are running their last chunks).
  state_.fetch_and(~kOpen, std::memory_order_acq_rel);
  int spins = 0;
  while (state_.load(std::memory_order_acquire) != 0) {
    if (++spins < kCallerSpinIterations) {
      HEARTH_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::DoChunks() {
  const int64_t n = n_tasks_;
  const int64_t grain = grain_;
  for (;;) {
    const int64_t b = next_.fetch_add(grain, std::memory_order_relaxed);
    if (b >= n) break;
    fn_(ctx_, b, std::min(n, b + grain));
  }
}

void ThreadPool::WorkerLoop(int index) {
  tls_thread_index = index;
  uint32_t seen = 0;
  for (;;) {
    uint32_t now = generation_.load(std::memory_order_acquire);
    for (int i = 0; now == seen && i < kSpinIterations; ++i) {
      HEARTH_PAUSE();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      while ((now = generation_.load(std::memory_order_seq_cst)) == seen) FutexWait(&generation_, seen);
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = now;
    if (stop_.load(std::memory_order_acquire)) return;
    // Join the job if it is still open; otherwise the caller already did all
    // of it and this worker has nothing to do.
    uint32_t st = state_.load(std::memory_order_acquire);
    bool joined = false;
    while ((st & kOpen) != 0) {
      if (state_.compare_exchange_weak(st, st + kJoined, std::memory_order_acq_rel, std::memory_order_acquire)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    DoChunks();
    state_.fetch_sub(kJoined, std::memory_order_acq_rel);
  }
}

void ThreadPool::Grow(Buffer* buffer, size_t bytes) {
  if (bytes <= buffer->size) return;
  bytes = (bytes + 63) & ~size_t{63};
  ::operator delete(buffer->data, std::align_val_t(64));
  buffer->data = ::operator new(bytes, std::align_val_t(64));
  buffer->size = bytes;
}

void ThreadPool::Reserve(size_t shared_bytes, size_t per_thread_bytes) {
  Grow(&shared_scratch_, shared_bytes);
  for (auto& b : thread_scratch_) Grow(&b, per_thread_bytes);
}

void* ThreadPool::SharedScratch(size_t bytes) {
  Grow(&shared_scratch_, bytes);
  return shared_scratch_.data;
}

void* ThreadPool::ThreadScratch(int thread, size_t bytes) {
  Buffer& b = thread_scratch_[static_cast<size_t>(thread)];
  Grow(&b, bytes);
  return b.data;
}

size_t ThreadPool::reserved_bytes() const {
  size_t total = shared_scratch_.size;
  for (const auto& b : thread_scratch_) total += b.size;
  return total;
}

}  // namespace hearth::engine::kernels
