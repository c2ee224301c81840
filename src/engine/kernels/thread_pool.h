// A persistent pool of worker threads for the compute kernels.
//
// A pool of n threads runs work on the caller plus n-1 workers that live as
// long as the pool. Generation dispatches ~150 parallel regions per token, so
// a dispatch costs microseconds: idle workers spin briefly (with `pause`)
// before they sleep on a futex (std::atomic::wait).
//
// ParallelFor hands out [0, n_tasks) in contiguous chunks claimed from a
// shared counter, so a thread that is preempted does not hold up the others.
// Which thread runs which chunk is NOT deterministic; kernels therefore make
// every output depend on its task index only (each output element is
// computed whole by one thread, in a fixed order), which makes their results
// bit-identical whatever the number of threads.
//
// One caller at a time: ParallelFor is not reentrant (a task must not call
// ParallelFor on the same pool) and a pool must not be shared by two threads
// issuing work concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace hearth::engine::kernels {

class ThreadPool {
 public:
  // n_threads counts the caller; values < 1 mean 1.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end) for disjoint chunks covering [0, n_tasks) exactly
  // once, on any of the pool's threads, and returns when all are done.
  // `grain` is the chunk size; 0 picks one (about 4 chunks per thread).
  // fn must not throw.
  template <typename Fn>
  void ParallelFor(int64_t n_tasks, Fn&& fn, int64_t grain = 0) {
    using F = std::remove_reference_t<Fn>;
    Run(n_tasks, grain,
        [](void* ctx, int64_t b, int64_t e) { (*static_cast<F*>(ctx))(b, e); },
        const_cast<void*>(static_cast<const void*>(std::addressof(fn))));
  }

  // Index in [0, size()) of the pool thread running the current task; 0 on
  // the caller (also outside ParallelFor). Use it to pick per-thread scratch.
  static int CurrentThread();

  // Scratch memory owned by the pool, 64-byte aligned, so that kernels never
  // allocate on the hot path. Reserve() allocates up front (the memory plan
  // calls it with the sizes kernels report, e.g. MatMulScratchBytes); the
  // getters grow the area only when asked for more than was reserved.
  // SharedScratch is for the caller before/after a parallel region (its
  // contents may be read by tasks); ThreadScratch(i) is private to thread i.
  // Pointers stay valid until the next call that asks for more bytes.
  void Reserve(size_t shared_bytes, size_t per_thread_bytes);
  void* SharedScratch(size_t bytes);
  void* ThreadScratch(int thread, size_t bytes);
  size_t reserved_bytes() const;

 private:
  using TaskFn = void (*)(void* ctx, int64_t begin, int64_t end);
  struct Buffer {
    void* data = nullptr;
    size_t size = 0;
  };

  void Run(int64_t n_tasks, int64_t grain, TaskFn fn, void* ctx);
  void WorkerLoop(int index);
  void DoChunks();
  static void Grow(Buffer* buffer, size_t bytes);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::vector<Buffer> thread_scratch_;
  Buffer shared_scratch_;

  // The current job. Its fields are written by the caller only while no
  // worker has joined (see state_), and read by workers only after joining.
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_tasks_ = 0;
  int64_t grain_ = 1;
  alignas(64) std::atomic<int64_t> next_{0};
  // Job state: bit 0 "open", bits 1..31 the number of workers that joined
  // the open job and have not finished. A worker joins only while the job is
  // open; the caller closes it once every chunk is claimed and then waits for
  // the joined workers alone, so a worker that wakes late (preempted on a
  // busy host) never delays the caller.
  alignas(64) std::atomic<uint32_t> state_{0};
  // Bumped once per job to wake workers (futex word).
  alignas(64) std::atomic<uint32_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace hearth::engine::kernels
