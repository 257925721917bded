// vim4j_limits: the two hardware limits the native kernels are judged against, measured on this machine
// with the AVX-512 tier's own code:
//  * fp32 FMA peak of one core: 12 independent zmm FMA chains (enough to cover the FMA latency on the
//    machines we know); vim4j_bench's GEMM GFLOP/s are compared with it;
//  * throughput of the exp2 inside the selective scan, on an L1-resident array, and the exp-bound limit
//    it implies for the 48 scans of a Vim-Tiny 224 forward (197 tokens x 384 channels x 16 states x
//    2 directions x 24 layers = 58,097,664 exps): the time the scans would take doing nothing but exps.
// Built with the avx512 tier's flags; exits with a message on a CPU without AVX-512.
//   vim4j_limits [seconds per measurement (default 1.0)]   (last line: the figures as JSON)
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

// FLOP/s of 12 independent FMA chains on 16 lanes (2 FLOP per lane per FMA).
double fma_peak(double seconds) {
    using namespace vim4j::avx512;
    constexpr int kIters = 1 << 20;
    vf acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = vset1(static_cast<float>(i));
    const vf a = vset1(0.999999f), b = vset1(1e-7f);
    double best = 1e30;
    const double stop = thread_cpu() + seconds;
    while (thread_cpu() < stop) {
        const double t0 = thread_cpu();
        for (int it = 0; it < kIters; ++it) {
#pragma GCC unroll 12
            for (int i = 0; i < 12; ++i) acc[i] = vfma(acc[i], a, b);
        }
        for (int i = 0; i < 12; ++i) asm volatile("" : "+v"(acc[i]));
        const double t = thread_cpu() - t0;
        if (t < best) best = t;
    }
    return 12.0 * kIters * W * 2 / best;
}

}  // namespace

int main(int argc, char** argv) {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) {
        std::printf("vim4j_limits: this CPU has no AVX-512; nothing to measure\n");
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
    const double peak = fma_peak(seconds);
    std::printf("fp32 FMA peak (avx512, 1 thread): %.1f GFLOP/s\n", peak / 1e9);
    const double scan_exps = 197.0 * 384 * 16 * 2 * 24;
    std::printf("exp2 (avx512 tier, 1 thread): %.2f Gexp/s (best of %.1f s, thread CPU time)\n", rate / 1e9, seconds);
    std::printf("exp-bound limit of the 48 Vim-Tiny scans: %.2f ms on 1 thread, %.2f ms on 2\n",
                scan_exps / rate * 1e3, scan_exps / rate * 1e3 / 2);
    // The same figures as one JSON line, for benchmarks/run.sh.
    std::printf("{\"probe\":\"native-limits\",\"gflops_1t_best\":%.1f,\"exp_gelem_1t_best\":%.2f}\n", peak / 1e9,
                rate / 1e9);
    return 0;
}
