package org.vim4j.bench;

import java.util.Arrays;

/**
 * Latency of one workload after warm-up: every run is timed and kept, so p50/p99 are order statistics of real runs
 * (with few runs, p99 is simply the slowest). Heap bytes per inference cover the timed runs only.
 */
record Measurement(double p50Ms, double p99Ms, double meanMs, double minMs, int runs, long heapBytesPerInference) {
    /** A warmed-up inference allocates (almost) nothing; the scalar backend's few KiB of loop bookkeeping stay below this. */
    static final long WARM_ALLOCATION_BYTES = 64 * 1024;

    /**
     * Warms up for {@code warmupSeconds} (at least one run: it also touches every buffer; longer while runs still
     * allocate, see below), then times runs until both
     * {@code minRuns} runs and {@code targetSeconds} have passed, or {@code maxRuns} runs. The timed loop allocates
     * nothing itself (the array of times is made before), so the heap figure is the workload's own.
     */
    static Measurement of(Workload w, double warmupSeconds, int minRuns, int maxRuns, double targetSeconds) {
        // Warm-up: at least warmupSeconds, then on while runs still allocate (Vector API code that C2 has not compiled
        // yet boxes every vector, so allocation is the sign of unfinished JIT work; on a loaded machine that takes
        // longer), up to 3x the warm-up time.
        HeapCounter heap = new HeapCounter();
        long start0 = System.nanoTime();
        long warmEnd = start0 + (long) (warmupSeconds * 1e9), warmCap = start0 + (long) (3 * warmupSeconds * 1e9);
        long allocated;
        do {
            long before = heap.allocatedBytes();
            w.run();
            allocated = heap.allocatedBytes() - before;
        } while (System.nanoTime() < warmEnd || (allocated > WARM_ALLOCATION_BYTES && System.nanoTime() < warmCap));
        long[] nanos = new long[maxRuns];
        long heapBefore = heap.allocatedBytes();
        long start = System.nanoTime(), target = (long) (targetSeconds * 1e9);
        int n = 0;
        while (n < maxRuns && (n < minRuns || System.nanoTime() - start < target)) {
            long t0 = System.nanoTime();
            w.run();
            nanos[n++] = System.nanoTime() - t0;
        }
        long heapPer = (heap.allocatedBytes() - heapBefore) / n;
        long[] t = Arrays.copyOf(nanos, n);
        Arrays.sort(t);
        double mean = Arrays.stream(t).average().orElse(0) / 1e6;
        return new Measurement(t[(int) (0.50 * (n - 1))] / 1e6, t[(int) Math.ceil(0.99 * (n - 1))] / 1e6, mean, t[0] / 1e6, n,
                heapPer);
    }

    double imagesPerSecond(int batch) {
        return batch * 1000.0 / meanMs;
    }
}
