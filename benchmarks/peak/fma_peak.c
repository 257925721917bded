/* fp32 limits of this CPU in C, the denominators of RESULTS.md:
 *  - FMA peak: 12 independent AVX-512 (or AVX2) FMA chains per thread, which covers the FMA latency on two FMA pipes;
 *    short bursts, best and median, on 1 thread and on N threads at once;
 *  (the exp throughput comes from the native build's own probe, native/bench/limits_bench.cpp, which runs the scan's
 *  exp2 from its header instead of a copy here).
 *   cc -O2 -march=native -pthread fma_peak.c -o fma_peak && ./fma_peak [threads]
 * Prints one JSON line. The kernel suite's "% of peak" divides by the 1-thread FMA best. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
static float hsum(vec v) { return _mm512_reduce_add_ps(v); }
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float hsum(vec v) { float f[8]; _mm256_storeu_ps(f, v); return f[0] + f[7]; }
#endif

#define ITERS 20000000L
static volatile float sink;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *burst(void *arg) {
    (void) arg;
    vec a = SET1(0.999999f), b = SET1(1e-7f);
    /* Distinct starting values and every chain behind the asm barrier: identical chains would be merged by the
     * compiler (common subexpressions), and the probe would report work it never did. */
    vec c0 = SET1(1), c1 = SET1(2), c2 = SET1(3), c3 = SET1(4), c4 = SET1(5), c5 = SET1(6), c6 = SET1(7), c7 = SET1(8),
        c8 = SET1(9), c9 = SET1(10), c10 = SET1(11), c11 = SET1(12);
    for (long i = 0; i < ITERS; i++) {
        c0 = FMA(a, c0, b); c1 = FMA(a, c1, b); c2 = FMA(a, c2, b); c3 = FMA(a, c3, b);
        c4 = FMA(a, c4, b); c5 = FMA(a, c5, b); c6 = FMA(a, c6, b); c7 = FMA(a, c7, b);
        c8 = FMA(a, c8, b); c9 = FMA(a, c9, b); c10 = FMA(a, c10, b); c11 = FMA(a, c11, b);
        __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5), "+v"(c6), "+v"(c7), "+v"(c8),
                         "+v"(c9), "+v"(c10), "+v"(c11));
    }
    sink = hsum(ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(ADD(c4, c5), ADD(c6, c7)), ADD(ADD(c8, c9), ADD(c10, c11)))));
    return NULL;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return a < b ? -1 : a > b;
}

static void measure(int threads, int bursts, double *best, double *median) {
    double g[64];
    pthread_t th[64];
    for (int r = 0; r < bursts; r++) {
        double t0 = now();
        for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, burst, NULL);
        for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
        g[r] = threads * (double) ITERS * 12 * 2 * LANES / (now() - t0) / 1e9;
    }
    qsort(g, bursts, sizeof g[0], cmp);
    *best = g[bursts - 1];
    *median = g[bursts / 2];
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2, bursts = 9;
    if (threads < 1 || threads > 64) threads = 2;
    double b1, m1, bn, mn;
    measure(1, bursts, &b1, &m1);
    measure(threads, bursts, &bn, &mn);
    printf("{\"probe\":\"c-fma\",\"lanes\":%d,\"gflops_1t_best\":%.1f,\"gflops_1t_median\":%.1f,\"threads\":%d,"
           "\"gflops_best\":%.1f,\"gflops_median\":%.1f}\n", LANES, b1, m1, threads, bn, mn);
    return 0;
}
