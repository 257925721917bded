// A small persistent pool of std::threads named "vim4j-worker": the process has one (exec.h, shared_pool()), which
// every runtime (struct vim4j_runtime, one per model) leases with its own thread limit. Workers are created lazily
// (the first time a lease asks for more threads than exist) and joined when a pool is destroyed (the shared one
// never is). One caller at a time leases the pool, using workers [0, its limit - 1); a concurrent caller gets a
// single-threaded lease (it runs everything on its own thread) instead of waiting.
#ifndef VIM4J_THREAD_POOL_H
#define VIM4J_THREAD_POOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace vim4j {

class ThreadPool {
public:
    typedef void (*TaskFn)(void* ctx, int32_t task);

    ThreadPool() = default;
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // RAII: one call's use of the pool, for a sequence of parallel_for calls with up to `threads` threads (the
    // caller's included). threads() is the count to plan splits with (1 for a NULL pool). The pool is taken at the
    // first parallel_for of more than one task (try_lock) and kept until the lease ends: if another caller holds
    // it, or workers cannot start, the caller runs the tasks itself.
    class Lease {
    public:
        Lease(ThreadPool* pool, int32_t threads);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        int32_t threads() const { return threads_; }
        // Runs fn(ctx, t) for every t in [0, tasks), on the caller and the leased workers; returns when all
        // are done (everything the tasks wrote is then visible to the caller and to the next parallel_for).
        void parallel_for(int32_t tasks, TaskFn fn, void* ctx);

    private:
        int32_t workers();

        ThreadPool* pool_;
        int32_t threads_ = 1;
        int32_t workers_ = -1;  // workers this lease uses; -1 until the first split
        bool locked_ = false;
    };

private:
    void ensure_workers(int32_t count);  // caller holds lease_mu_
    void worker_main(int32_t index, uint64_t seen_gen);
    void run(int32_t tasks, TaskFn fn, void* ctx, int32_t workers);  // tasks <= kMaxJobTasks
    void claim_and_run();

    static constexpr int32_t kMaxJobTasks = 0xFFFF;

    std::mutex lease_mu_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::thread> workers_;
    std::atomic<bool> stop_{false};
    // The current job: generation (16 bits) | task count (16 bits) | next unclaimed task (32 bits). A task is
    // claimed by fetch_add on the whole word, so a claim is always on the job the returned word describes,
    // and the caller never waits for a worker that has not claimed anything (a descheduled or sleeping
    // worker only costs its share of the work, which the caller takes over).
    std::atomic<uint64_t> ticket_{0};
    std::atomic<int32_t> done_{0};          // tasks of the current job finished
    std::atomic<int32_t> participants_{0};  // workers [0, participants_) take part in the current job
    // Valid while the current job has claimed tasks; written only when it has none.
    TaskFn fn_ = nullptr;
    void* ctx_ = nullptr;
};

}  // namespace vim4j

#endif
