package org.vim4j.bench;

import java.util.Arrays;

/**
 * Latency of one workload after warm-up: every run is timed and kept, so p50/p99 are order statistics of real runs
 * (with few runs, p99 is simply the slowest). Heap bytes per inference cover the timed runs only.
 */
record Measurement(double p50Ms, double p99Ms, double meanMs, double minMs, int runs, long heapBytesPerInference) {

    /**
     * Warms up for {@code warmupSeconds} (at least one run: it also touches every buffer), then times runs until both
     * {@code minRuns} runs and {@code targetSeconds} have passed, or {@code maxRuns} runs. The timed loop allocates
     * nothing itself (the array of times is made before), so the heap figure is the workload's own.
     */
    static Measurement of(Workload w, double warmupSeconds, int minRuns, int maxRuns, double targetSeconds) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do {
            w.run();
        } while (System.nanoTime() < warmEnd);
        HeapCounter heap = new HeapCounter();
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
