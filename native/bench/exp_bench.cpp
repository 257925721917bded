// vim4j_exp_bench: the throughput of the AVX-512 tier's exp2 (the one inside the selective scan) on an
// L1-resident array, and the exp-bound limit it implies for the 48 scans of a Vim-Tiny 224 forward
// (197 tokens x 384 channels x 16 states x 2 directions x 24 layers = 58,097,664 exps), i.e. the time
// the scan would take if it did nothing but its exps. vim4j_bench's "scan" line is compared with it.
// Built with the avx512 tier's flags; exits with a message on a CPU without AVX-512.
//   vim4j_exp_bench [seconds (default 1.0)]
#include <cstdio>
#include <cstdlib>
#include <time.h>
#include <vector>

#include "simd_avx512.h"

namespace {

double thread_cpu() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) {
        std::printf("vim4j_exp_bench: this CPU has no AVX-512; nothing to measure\n");
        return 0;
    }
    using namespace vim4j::avx512;
    const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
    constexpr int kN = 4096;  // 16 KiB in, 16 KiB out: stays in L1
    constexpr int kInner = 200;
    std::vector<float> x(kN), y(kN);
    // Arguments like the scan's dt * A * log2(e): non-positive, mostly in (-30, 0].
    for (int i = 0; i < kN; ++i) x[i] = -0.0073f * static_cast<float>(i % 4000);
    double best = 1e30;
    const double stop = thread_cpu() + seconds;
    while (thread_cpu() < stop) {
        const double t0 = thread_cpu();
        for (int rep = 0; rep < kInner; ++rep) {
            for (int i = 0; i < kN; i += W) vstore(&y[i], vexp2_fast(vload(&x[i])));
            asm volatile("" : : "r"(y.data()) : "memory");
        }
        const double t = thread_cpu() - t0;
        if (t < best) best = t;
    }
    const double rate = static_cast<double>(kN) * kInner / best;
    const double scan_exps = 197.0 * 384 * 16 * 2 * 24;
    std::printf("exp2 (avx512 tier, 1 thread): %.2f Gexp/s (best of %.1f s, thread CPU time)\n", rate / 1e9, seconds);
    std::printf("exp-bound limit of the 48 Vim-Tiny scans: %.2f ms on 1 thread, %.2f ms on 2\n",
                scan_exps / rate * 1e3, scan_exps / rate * 1e3 / 2);
    return 0;
}
