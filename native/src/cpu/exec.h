// The runtime behind the ABI's opaque struct vim4j_runtime, and the kernels run over its threads with the split
// rules of exec.cpp. Compiled for the baseline ISA (the C ABI layer calls it after validating the arguments;
// the per-ISA kernels are reached through the KernelTable).
#ifndef VIM4J_EXEC_H
#define VIM4J_EXEC_H

#include <cstdint>

#include "dispatch.h"
#include "thread_pool.h"
#include "vim4j.h"

// One model's limit: `threads` in all, the caller's included, so up to threads - 1 workers of the shared pool.
struct vim4j_runtime {
    explicit vim4j_runtime(int32_t t) : threads(t) {}
    const int32_t threads;
};

namespace vim4j {

// The process's one pool, shared by every runtime (created on first use, never destroyed: its workers park when
// idle, and joining threads while the process exits would race with callers still running).
ThreadPool& shared_pool();

// The threads of one ABI call: leases the shared pool for the whole call with the runtime's limit; a NULL runtime
// or a busy pool gives the caller's thread alone.
class Exec {
public:
    Exec(const KernelTable& kernels, vim4j_runtime* rt)
        : k(kernels), lease_(rt != nullptr ? &shared_pool() : nullptr, rt != nullptr ? rt->threads : 1) {}
    Exec(const Exec&) = delete;
    Exec& operator=(const Exec&) = delete;

    const KernelTable& k;
    int32_t threads() const { return lease_.threads(); }
    void parallel_for(int32_t tasks, ThreadPool::TaskFn fn, void* ctx) { lease_.parallel_for(tasks, fn, ctx); }

private:
    ThreadPool::Lease lease_;
};

// The kernels over the call's threads. Arguments are validated by the caller (vim4j_api.cpp); sizes of 0 are
// no-ops.
void linear(Exec& x, const vim4j_rows& a, int32_t m, const vim4j_linear_weight& w, const vim4j_rows& c);
void add_rms_norm(Exec& x, float* residual, const float* hidden, const float* weight, float* out, int32_t rows,
                  int32_t dim, float eps);
void conv_silu(Exec& x, const vim4j_rows& in, const vim4j_conv_weights& w, const vim4j_rows& out, int32_t batch,
               int32_t len, bool reverse);
void selective_scan(Exec& x, const vim4j_scan_inputs& in, const vim4j_scan_weights& w, const vim4j_rows& out,
                    int32_t batch, int32_t len, bool reverse, float out_scale, bool accumulate);
void im2col(Exec& x, const float* image, int32_t channels, int32_t height, int32_t width, int32_t patch,
            int32_t stride, float* out);
// One mixer layer; the shapes of w and b are consistent and batch * len <= b.rows.
void mixer_forward(Exec& x, const vim4j_mixer_weights& w, const vim4j_mixer_buffers& b, int32_t batch, int32_t len);

// The constants of the split rules (exec.cpp explains them).
constexpr int32_t kTasksPerThread = 4;
constexpr int64_t kMinTaskWork = int64_t{1} << 19;
constexpr int32_t kMaxChannelsPerTask = 64;
int32_t split_tasks(int32_t threads, int64_t units, int64_t work);

}  // namespace vim4j

#endif
