#include "thread_pool.h"

#include <pthread.h>

#include <system_error>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VIM4J_CPU_RELAX() _mm_pause()
#else
#define VIM4J_CPU_RELAX() std::this_thread::yield()
#endif

namespace vim4j {

namespace {
// About 20-100 us of spinning before a worker sleeps on the condition variable: long enough to bridge
// the gap between the stages of one mixer layer, short enough not to burn a core between inferences.
constexpr int kSpinIterations = 1 << 13;
constexpr int kMaxWorkers = 1023;

inline uint64_t ticket_gen(uint64_t w) { return w >> 48; }
inline uint32_t ticket_tasks(uint64_t w) { return static_cast<uint32_t>((w >> 32) & 0xFFFF); }
inline uint32_t ticket_next(uint64_t w) { return static_cast<uint32_t>(w); }
inline uint64_t make_ticket(uint64_t gen, uint32_t tasks) { return ((gen & 0xFFFF) << 48) | (static_cast<uint64_t>(tasks) << 32); }
}  // namespace

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        stop_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
    for (std::thread& t : workers_) {
        if (t.joinable()) t.join();
    }
}

void ThreadPool::ensure_workers(int32_t count) {
    if (count > kMaxWorkers) count = kMaxWorkers;
    while (static_cast<int32_t>(workers_.size()) < count) {
        const int32_t index = static_cast<int32_t>(workers_.size());
        const uint64_t gen = ticket_gen(ticket_.load(std::memory_order_acquire));
        workers_.emplace_back(&ThreadPool::worker_main, this, index, gen);  // may throw std::system_error
        pthread_setname_np(workers_.back().native_handle(), "vim4j-worker");  // best effort: for ps, top, /proc
    }
}

// Claims tasks of whatever job is current until it has none left.
void ThreadPool::claim_and_run() {
    for (;;) {
        const uint64_t w = ticket_.fetch_add(1, std::memory_order_acq_rel);
        const uint32_t task = ticket_next(w);
        if (task >= ticket_tasks(w)) return;
        fn_(ctx_, static_cast<int32_t>(task));
        done_.fetch_add(1, std::memory_order_acq_rel);
    }
}

void ThreadPool::worker_main(int32_t index, uint64_t seen_gen) {
    for (;;) {
        uint64_t gen = ticket_gen(ticket_.load(std::memory_order_acquire));
        for (int i = 0; i < kSpinIterations && gen == seen_gen; ++i) {
            if (stop_.load(std::memory_order_relaxed)) return;
            VIM4J_CPU_RELAX();
            gen = ticket_gen(ticket_.load(std::memory_order_acquire));
        }
        if (gen == seen_gen) {
            std::unique_lock<std::mutex> lk(mu_);
            cv_.wait(lk, [&] {
                gen = ticket_gen(ticket_.load(std::memory_order_acquire));
                return stop_.load(std::memory_order_acquire) || gen != seen_gen;
            });
            if (gen == seen_gen) return;  // stop requested and no new job
        }
        seen_gen = gen;
        if (index < participants_.load(std::memory_order_relaxed)) claim_and_run();
    }
}

void ThreadPool::run(int32_t tasks, TaskFn fn, void* ctx, int32_t workers) {
    if (workers > tasks - 1) workers = tasks - 1;
    if (workers <= 0) {
        for (int32_t t = 0; t < tasks; ++t) fn(ctx, t);
        return;
    }
    // No task of the previous job is claimed or running here, so the descriptor may be rewritten.
    fn_ = fn;
    ctx_ = ctx;
    done_.store(0, std::memory_order_relaxed);
    participants_.store(workers, std::memory_order_relaxed);
    {
        std::lock_guard<std::mutex> lk(mu_);
        const uint64_t gen = ticket_gen(ticket_.load(std::memory_order_relaxed)) + 1;
        ticket_.store(make_ticket(gen, static_cast<uint32_t>(tasks)), std::memory_order_release);
    }
    cv_.notify_all();
    claim_and_run();
    // Wait only for tasks other threads claimed and are still running.
    int spins = 0;
    while (done_.load(std::memory_order_acquire) < tasks) {
        if (++spins < kSpinIterations) {
            VIM4J_CPU_RELAX();
        } else {
            std::this_thread::yield();
        }
    }
}

ThreadPool::Lease::Lease(ThreadPool* pool, int32_t threads) : pool_(pool) {
    if (pool_ != nullptr && threads > 1) threads_ = threads;
}

// The first split of a lease takes the pool: if another caller holds it, this call runs every task on its own
// thread from then on (the same results: splits never change them). The workers start the first time any lease
// splits, so a runtime whose calls are all too small to split never starts a thread, and a call that never splits
// never touches the pool's mutex. Returns how many workers this lease may use.
int32_t ThreadPool::Lease::workers() {
    if (workers_ < 0) {
        workers_ = 0;
        if (pool_->lease_mu_.try_lock()) {
            locked_ = true;
            try {
                pool_->ensure_workers(threads_ - 1);
            } catch (...) {
                // std::system_error or std::bad_alloc: run with the workers that did start
            }
            const int32_t have = static_cast<int32_t>(pool_->workers_.size());
            workers_ = threads_ - 1 < have ? threads_ - 1 : have;
        }
    }
    return workers_;
}

ThreadPool::Lease::~Lease() {
    if (locked_) pool_->lease_mu_.unlock();
}

namespace {
struct Offset {
    ThreadPool::TaskFn fn;
    void* ctx;
    int32_t base;
};
void offset_task(void* ctx, int32_t t) {
    const Offset& o = *static_cast<const Offset*>(ctx);
    o.fn(o.ctx, o.base + t);
}
}  // namespace

void ThreadPool::Lease::parallel_for(int32_t tasks, TaskFn fn, void* ctx) {
    if (tasks <= 0) return;
    if (threads_ <= 1 || tasks == 1 || workers() == 0) {
        for (int32_t t = 0; t < tasks; ++t) fn(ctx, t);
        return;
    }
    if (tasks <= kMaxJobTasks) {
        pool_->run(tasks, fn, ctx, workers_);
        return;
    }
    for (int32_t base = 0; base < tasks; base += kMaxJobTasks) {
        Offset o{fn, ctx, base};
        const int32_t n = tasks - base < kMaxJobTasks ? tasks - base : kMaxJobTasks;
        pool_->run(n, offset_task, &o, workers_);
    }
}

}  // namespace vim4j
