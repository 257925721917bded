package org.vim4j.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * fp32 FMA peak as the JVM reaches it: 12 independent vector FMA chains per thread (enough to cover the FMA latency
 * on 2 pipes), in short bursts, on 1 and on all threads. Prints GFLOP/s best and median of the bursts. The C probe in
 * benchmarks/peak (run by run.sh) measures the same in C; docs/machine-limits.md §4 explains why a Java register loop
 * can read lower than real kernels after a few seconds, which is why the best burst is the figure used as "peak".
 */
@Command(name = "peak", mixinStandardHelpOptions = true, description = "Measure the fp32 FMA peak from Java (Vector API).")
final class PeakCommand implements Callable<Integer> {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Option(names = "--threads", defaultValue = "2")
    int threads;

    @Option(names = "--bursts", defaultValue = "15")
    int bursts;

    @Option(names = "--json")
    boolean json;

    static volatile float sink;

    @Override
    public Integer call() throws Exception {
        burst(20_000_000L); // compile
        double[] one = measure(1), all = measure(threads);
        double exp = expRate();
        if (json) {
            System.out.printf(Locale.ROOT, "{\"probe\":\"java-vector-fma\",\"lanes\":%d,\"gflops_1t_best\":%.1f,\"gflops_1t_median\":%.1f,"
                    + "\"threads\":%d,\"gflops_best\":%.1f,\"gflops_median\":%.1f,\"exp_gelem_1t_best\":%.2f}%n", S.length(), one[0], one[1],
                    threads, all[0], all[1], exp);
        } else {
            System.out.printf(Locale.ROOT, "Java Vector API FMA peak (%d lanes): 1 thread best %.1f / median %.1f GFLOP/s; %d threads best %.1f"
                    + " / median %.1f GFLOP/s; exp %.2f Gelem/s (1 thread)%n", S.length(), one[0], one[1], threads, all[0], all[1], exp);
        }
        return 0;
    }

    /** {best, median} GFLOP/s over the bursts with {@code t} threads running at once. */
    private double[] measure(int t) throws InterruptedException {
        double[] g = new double[bursts];
        long iters = 4_000_000L;
        for (int b = 0; b < bursts; b++) {
            Thread[] th = new Thread[t];
            long t0 = System.nanoTime();
            for (int i = 0; i < t; i++) {
                th[i] = new Thread(() -> burst(iters));
                th[i].start();
            }
            for (Thread x : th) {
                x.join();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            g[b] = t * iters * 12.0 * 2 * S.length() / secs / 1e9;
        }
        Arrays.sort(g);
        return new double[] {g[bursts - 1], g[bursts / 2]};
    }

    /**
     * {@code lanewise(EXP)} throughput over an L1-resident array, 1 thread, best of the bursts in Gelem/s: the rate that
     * bounds the selective scan (one exp per state update).
     */
    private double expRate() {
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = -(i % 97) / 10f;
        }
        double best = 0;
        for (int b = 0; b < bursts + 3; b++) {
            long t0 = System.nanoTime();
            int reps = 20_000;
            for (int r = 0; r < reps; r++) {
                FloatVector acc = FloatVector.zero(S);
                for (int i = 0; i < x.length; i += S.length()) {
                    acc = acc.add(FloatVector.fromArray(S, x, i).lanewise(jdk.incubator.vector.VectorOperators.EXP));
                }
                sink += acc.lane(0);
            }
            best = Math.max(best, (double) reps * x.length / (System.nanoTime() - t0));
        }
        return best;
    }

    private static void burst(long iters) {
        FloatVector a = FloatVector.broadcast(S, 0.999999f), b = FloatVector.broadcast(S, 1e-7f);
        // Distinct starting values, so no two chains are the same expression (a compiler may merge those).
        FloatVector c0 = FloatVector.broadcast(S, 1f), c1 = FloatVector.broadcast(S, 2f), c2 = FloatVector.broadcast(S, 3f),
                c3 = FloatVector.broadcast(S, 4f), c4 = FloatVector.broadcast(S, 5f), c5 = FloatVector.broadcast(S, 6f),
                c6 = FloatVector.broadcast(S, 7f), c7 = FloatVector.broadcast(S, 8f), c8 = FloatVector.broadcast(S, 9f),
                c9 = FloatVector.broadcast(S, 10f), c10 = FloatVector.broadcast(S, 11f), c11 = FloatVector.broadcast(S, 12f);
        for (long i = 0; i < iters; i++) {
            c0 = a.fma(c0, b);
            c1 = a.fma(c1, b);
            c2 = a.fma(c2, b);
            c3 = a.fma(c3, b);
            c4 = a.fma(c4, b);
            c5 = a.fma(c5, b);
            c6 = a.fma(c6, b);
            c7 = a.fma(c7, b);
            c8 = a.fma(c8, b);
            c9 = a.fma(c9, b);
            c10 = a.fma(c10, b);
            c11 = a.fma(c11, b);
        }
        sink = c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }
}
