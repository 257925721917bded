package org.vim4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.vim4j.kernel.vector.VectorKernels;
import org.vim4j.tensor.Tensor;

/**
 * Manual benchmark of the Vector API kernels on Vim-Tiny shapes (not a unit test: run it by hand).
 * Prints GEMM GFLOP/s and the time of the 48 selective scans of one forward, with 1 and 2 threads, after
 * several seconds of warm-up, and the heap bytes the timed calls allocated (caller plus pool workers).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 *     org.vim4j.kernel.VectorKernelBench [gemm|scan|all|pool|dt] [seconds of warm-up] [thread counts: 1,2]</pre>
 */
public final class VectorKernelBench {
    private static final int L = 197, D = 192, E = 384, N = 16, R = 12;

    private VectorKernelBench() {
    }

    public static void main(String[] args) throws Exception {
        String what = args.length > 0 ? args[0] : "all";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2.0;
        System.out.println("vector bits " + VectorKernels.vectorBits() + ", processors "
                + Runtime.getRuntime().availableProcessors());
        try (Arena arena = Arena.ofShared()) {
            int[] threadCounts = args.length > 2
                    ? Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 2};
            for (int t : threadCounts) {
                try (KernelThreads threads = new KernelThreads(t)) {
                    Kernels k = new VectorKernels(threads);
                    if (what.equals("gemm") || what.equals("all")) {
                        gemm(k, arena, "in_proj ", L, D, 2 * E, D, false, seconds);
                        gemm(k, arena, "out_proj", L, E, D, E, false, seconds);
                        gemm(k, arena, "x_proj  ", L, E, R + 2 * N, E, false, seconds);
                        gemm(k, arena, "dt_proj ", L, R, E, R + 2 * N, true, seconds);
                        gemm(k, arena, "patch   ", L - 1, 768, D, 768, true, seconds);
                        gemm(k, arena, "head    ", 1, D, 1000, L * D, true, seconds);
                    }
                    if (what.equals("forward") || what.equals("all")) {
                        forward(k, arena, seconds);
                    }
                    if (what.equals("conv")) {
                        MemorySegment x = random(arena, (long) L * 2 * E, 1, 1f, 0f), o = arena.allocate((long) L * E * 4, 64);
                        MemorySegment cw = random(arena, E * 4L, 2, 0.5f, 0f), cb = random(arena, E, 3, 0.5f, 0f);
                        double[] pc = measure(() -> {
                            k.convSilu(x, 0, 2 * E, cw, cb, o, 0, E, 1, L, E, 4, false);
                            k.convSilu(x, 0, 2 * E, cw, cb, o, 0, E, 1, L, E, 4, true);
                        }, seconds);
                        System.out.printf("T=%d conv fwd+rev L=%d E=%d K=4: %.1f us per pair, x48/2 = %.2f ms per forward, alloc %s%n",
                                t, L, E, pc[0] * 1e6, pc[0] * 24e3, allocString(pc[2]));
                    }
                    if (what.equals("calib")) {
                        double[] pc = measure(() -> { }, seconds);
                        System.out.printf("T=%d empty op: alloc %s%n", t, allocString(pc[2]));
                    }
                    if (what.equals("pool")) {
                        ParallelTask empty = i -> { };
                        double[] pc = measure(() -> threads.run(empty, 18), seconds);
                        System.out.printf("T=%d empty run(18): %.2f us/call, alloc %s%n", t, pc[0] * 1e6, allocString(pc[2]));
                    }
                    if (what.equals("dt")) {
                        gemm(k, arena, "dt_proj ", L, R, E, R + 2 * N, true, seconds);
                    }
                    if (what.equals("scan") || what.equals("all")) {
                        scan(k, arena, seconds);
                    }
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, long n, long seed, float scale, float shift) {
        MemorySegment s = arena.allocate(n * 4, 64);
        Random r = new Random(seed);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, shift + scale * (r.nextFloat() * 2 - 1));
        }
        return s;
    }

    private static void gemm(Kernels k, Arena arena, String name, int m, int kk, int n, int lda, boolean bias,
            double seconds) {
        Tensor w = Tensor.wrap("w", org.vim4j.tensor.DType.F32, random(arena, (long) n * kk, 1, 0.1f, 0f), n, kk);
        Tensor b = bias ? Tensor.wrap("b", org.vim4j.tensor.DType.F32, random(arena, n, 2, 0.1f, 0f), n) : null;
        LinearWeight lw = k.prepareLinear(w, b, arena);
        MemorySegment a = random(arena, (long) m * lda, 3, 1f, 0f);
        MemorySegment c = arena.allocate((long) m * n * 4, 64);
        Runnable op = () -> k.linear(a, 0, lda, m, lw, c, 0, n);
        double flop = 2.0 * m * kk * n;
        double[] perCall = measure(op, seconds);
        System.out.printf("T=%d gemm %s M=%d K=%d N=%d: %.1f GFLOP/s median (best %.1f), %.1f us/call, alloc %s%n",
                k.threads(), name, m, kk, n, flop / perCall[0] / 1e9, flop / perCall[1] / 1e9, perCall[0] * 1e6,
                allocString(perCall[2]));
    }

    private static void scan(Kernels k, Arena arena, double seconds) {
        MemorySegment xz = random(arena, (long) L * 2 * E, 4, 1f, 0f);
        MemorySegment delta = random(arena, (long) L * E, 5, 2f, -1f);
        MemorySegment bc = random(arena, (long) L * (R + 2 * N), 6, 1f, 0f);
        MemorySegment aT = arena.allocate((long) N * E * 4, 64);
        Random r = new Random(7);
        for (int i = 0; i < N * E; i++) {
            aT.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) -Math.exp(Math.log(1 + i / E) + 0.3 * r.nextGaussian()));
        }
        MemorySegment dSkip = random(arena, E, 8, 1f, 1f);
        MemorySegment dBias = random(arena, E, 9, 1f, -3f);
        MemorySegment out = arena.allocate((long) L * E * 4, 64);
        int ldbc = R + 2 * N;
        Runnable forward = () -> {
            for (int layer = 0; layer < 24; layer++) {
                k.selectiveScan(xz, 0, 2 * E, delta, 0, E, aT, bc, R, R + N, ldbc, dSkip, dBias, xz, E, 2 * E, out, 0, E,
                        1, L, E, N, false, 0.5f, false);
                k.selectiveScan(xz, 0, 2 * E, delta, 0, E, aT, bc, R, R + N, ldbc, dSkip, dBias, xz, E, 2 * E, out, 0, E,
                        1, L, E, N, true, 0.5f, true);
            }
        };
        double[] perCall = measure(forward, seconds);
        double updates = 48.0 * L * E * N;
        System.out.printf("T=%d scan 48 x (L=%d E=%d N=%d): %.2f ms median (best %.2f), %.2f Gupdates/s, alloc %s%n",
                k.threads(), L, E, N, perCall[0] * 1e3, perCall[1] * 1e3, updates / perCall[0] / 1e9,
                allocString(perCall[2]));
    }

    /** One Vim-Tiny layer's weights (24 distinct sets, so weights stream from L3 as in a real model). */
    private record Layer(LinearWeight inProj, LinearWeight[] xProj, LinearWeight[] dtProj, LinearWeight outProj,
            MemorySegment[] convW, MemorySegment[] convB, MemorySegment[] aT, MemorySegment[] dSkip,
            MemorySegment[] dtBias, MemorySegment norm) {
    }

    /**
     * The kernel sequence of a Vim-Tiny 224x224 batch-1 forward (patch embed, 24 x [add+RMSNorm, in_proj,
     * 2 x (conv, x_proj, dt_proj, scan), out_proj], final norm, head) on random weights: what a forward costs
     * in kernels alone, without the model code around them.
     */
    private static void forward(Kernels k, Arena arena, double seconds) {
        int ld = R + 2 * N;
        Layer[] layers = new Layer[24];
        for (int l = 0; l < layers.length; l++) {
            long s = 100L * l;
            LinearWeight[] xp = new LinearWeight[2], dp = new LinearWeight[2];
            MemorySegment[] cw = new MemorySegment[2], cb = new MemorySegment[2], at = new MemorySegment[2], ds = new MemorySegment[2];
            MemorySegment[] db = new MemorySegment[2];
            for (int d = 0; d < 2; d++) {
                xp[d] = k.prepareLinear(tensor(arena, s + 10 + d, 0.05f, ld, E), null, arena);
                dp[d] = k.prepareLinear(tensor(arena, s + 20 + d, 0.3f, E, R), null, arena);
                db[d] = random(arena, E, s + 30 + d, 1f, -3f);
                cw[d] = random(arena, E * 4L, s + 40 + d, 0.5f, 0f);
                cb[d] = random(arena, E, s + 50 + d, 0.5f, 0f);
                at[d] = random(arena, (long) N * E, s + 60 + d, 4f, -5f);
                ds[d] = random(arena, E, s + 70 + d, 0.5f, 1f);
            }
            layers[l] = new Layer(k.prepareLinear(tensor(arena, s + 1, 0.07f, 2 * E, D), null, arena), xp, dp,
                    k.prepareLinear(tensor(arena, s + 2, 0.05f, D, E), null, arena), cw, cb, at, ds, db,
                    random(arena, D, s + 3, 0.1f, 1f));
        }
        LinearWeight patch = k.prepareLinear(tensor(arena, 900, 0.03f, D, 768), tensor(arena, 901, 0.1f, D), arena);
        LinearWeight head = k.prepareLinear(tensor(arena, 902, 0.07f, 1000, D), tensor(arena, 903, 0.1f, 1000), arena);
        MemorySegment image = random(arena, 3L * 224 * 224, 904, 1f, 0f);
        MemorySegment cols = arena.allocate(196L * 768 * 4, 64);
        MemorySegment residual = arena.allocate((long) L * D * 4, 64), hidden = arena.allocate((long) L * D * 4, 64);
        MemorySegment h = arena.allocate((long) L * D * 4, 64), xz = arena.allocate((long) L * 2 * E * 4, 64);
        MemorySegment[] xc = {arena.allocate((long) L * E * 4, 64), arena.allocate((long) L * E * 4, 64)};
        MemorySegment[] xdbl = {arena.allocate((long) L * ld * 4, 64), arena.allocate((long) L * ld * 4, 64)};
        MemorySegment[] delta = {arena.allocate((long) L * E * 4, 64), arena.allocate((long) L * E * 4, 64)};
        MemorySegment y = arena.allocate((long) L * E * 4, 64), logits = arena.allocate(1000 * 4, 64);
        MemorySegment normF = random(arena, D, 905, 0.1f, 1f);
        long[] acc = new long[6]; // patch, norm, in/out proj, conv, x/dt proj, scan
        boolean[] timing = {false};
        Runnable forward = () -> {
            long t0 = System.nanoTime();
            k.im2col(image, 0, 3, 224, 224, 16, 16, cols, 0);
            k.linear(cols, 0, 768, 196, patch, residual, D, D); // tokens 1..196 (cls/pos handling is model code)
            t0 = tick(timing, acc, 0, t0);
            for (int l = 0; l < 24; l++) {
                Layer w = layers[l];
                k.addRmsNorm(residual, 0, l == 0 ? null : hidden, 0, w.norm(), h, 0, L, D, 1e-5f);
                t0 = tick(timing, acc, 1, t0);
                k.linear(h, 0, D, L, w.inProj(), xz, 0, 2 * E);
                t0 = tick(timing, acc, 2, t0);
                for (int d = 0; d < 2; d++) {
                    boolean rev = d == 1;
                    k.convSilu(xz, 0, 2 * E, w.convW()[d], w.convB()[d], xc[d], 0, E, 1, L, E, 4, rev);
                    t0 = tick(timing, acc, 3, t0);
                    k.linear(xc[d], 0, E, L, w.xProj()[d], xdbl[d], 0, ld);
                    k.linear(xdbl[d], 0, ld, L, w.dtProj()[d], delta[d], 0, E);
                    t0 = tick(timing, acc, 4, t0);
                    k.selectiveScan(xc[d], 0, E, delta[d], 0, E, w.aT()[d], xdbl[d], R, R + N, ld, w.dSkip()[d],
                            w.dtBias()[d], xz, E, 2 * E, y, 0, E, 1, L, E, N, rev, 0.5f, rev);
                    t0 = tick(timing, acc, 5, t0);
                }
                k.linear(y, 0, E, L, w.outProj(), hidden, 0, D);
                t0 = tick(timing, acc, 2, t0);
            }
            k.addRmsNorm(residual, 0, hidden, 0, normF, h, 0, L, D, 1e-5f);
            k.linear(h, (long) (L / 2) * D, L * D, 1, head, logits, 0, 1000);
        };
        if (Boolean.getBoolean("bench.allocOnly")) {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                forward.run();
            }
            long[] ids = threadIds();
            int n = Integer.getInteger("bench.allocCalls", 200);
            long a0 = allocated(ids), e0 = allocated(ids), empty = e0 - a0; // the query's own cost
            long b0 = allocated(ids);
            for (int i = 0; i < n; i++) {
                forward.run();
            }
            long b1 = allocated(ids);
            System.out.printf("T=%d allocation over %d forwards (caller + %d workers): %d B (measurement itself: %d B)%n",
                    k.threads(), n, ids.length - 1, b1 - b0, empty);
            return;
        }
        double[] perCall = measure(forward, seconds);
        System.out.printf("T=%d Vim-Tiny forward, kernels only: %.2f ms median (best %.2f), alloc %s%n", k.threads(),
                perCall[0] * 1e3, perCall[1] * 1e3, allocString(perCall[2]));
        timing[0] = true;
        int reps = 20;
        for (int i = 0; i < reps; i++) {
            forward.run();
        }
        System.out.printf("T=%d   per forward (timed op by op, %d runs): patch %.2f, norms %.2f, in+out proj %.2f, conv %.2f, "
                + "x+dt proj %.2f, scans %.2f ms%n", k.threads(), reps, acc[0] / 1e6 / reps, acc[1] / 1e6 / reps,
                acc[2] / 1e6 / reps, acc[3] / 1e6 / reps, acc[4] / 1e6 / reps, acc[5] / 1e6 / reps);
    }

    private static long tick(boolean[] timing, long[] acc, int slot, long t0) {
        if (!timing[0]) {
            return t0;
        }
        long t = System.nanoTime();
        acc[slot] += t - t0;
        return t;
    }

    private static Tensor tensor(Arena arena, long seed, float scale, long... shape) {
        return Tensor.wrap("w", org.vim4j.tensor.DType.F32, random(arena, Tensor.numel(shape), seed, scale, 0f), shape);
    }

    private static String allocString(double bytesPerCall) {
        return String.format("%.1f B/call (%d B in %d calls), foreign CPU %.2f cores", bytesPerCall, lastAllocTotal,
                lastCalls, lastForeignCores);
    }

    private static double lastForeignCores;
    private static long lastAllocTotal;
    private static long lastCalls;

    /** Busy jiffies of the whole machine and of this process (Linux /proc), to spot a noisy neighbour. */
    private static long[] cpuJiffies() {
        try {
            String[] cpu = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i <= 8 && i < cpu.length; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(cpu[i]);
                }
            }
            String self = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long mine = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            return new long[] {busy, mine};
        } catch (Exception e) {
            return new long[] {0, 0};
        }
    }

    /**
     * Wall time, or with {@code -Dbench.cpuTime=true} the calling thread's CPU time: for 1-thread runs on a
     * shared machine, CPU time is unaffected by a neighbour preempting us (cache effects remain).
     */
    private static long clock() {
        return Boolean.getBoolean("bench.cpuTime") ? ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
                : System.nanoTime();
    }

    /** Waits (up to a minute) until other processes use less than 0.15 of a core, as measured over 0.5 s. */
    private static void awaitQuiet() {
        long give = System.nanoTime() + (long) (Double.parseDouble(System.getProperty("bench.quietWait", "60")) * 1e9);
        while (System.nanoTime() < give) {
            long[] a = cpuJiffies();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long[] b = cpuJiffies();
            // our own pool workers may still be spinning: count only the foreign share
            if (((b[0] - a[0]) - (b[1] - a[1])) / 100.0 / 0.5 < 0.15) {
                return;
            }
        }
    }

    /** Warms up for {@code seconds}, then times 9 rounds; returns {median s/call, best s/call, bytes/call}. */
    private static double[] measure(Runnable op, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long calls = 0;
        long t0 = System.nanoTime();
        while (System.nanoTime() < end) {
            op.run();
            calls++;
        }
        double perCall = (System.nanoTime() - t0) / 1e9 / calls;
        int reps = (int) Math.max(3, Math.min(100_000, 0.1 / perCall));
        awaitQuiet();
        for (int i = 0; i < reps; i++) {
            op.run(); // re-warm caches after the pause
        }
        double[] rounds = new double[9];
        long[] ids = threadIds();
        long[] cpu0 = cpuJiffies();
        long wall0 = System.nanoTime();
        long alloc0 = allocated(ids);
        for (int r = 0; r < rounds.length; r++) {
            long s = clock();
            for (int i = 0; i < reps; i++) {
                op.run();
            }
            rounds[r] = (clock() - s) / 1e9 / reps;
        }
        long alloc = allocated(ids) - alloc0;
        long wall1 = System.nanoTime();
        long[] cpu1 = cpuJiffies();
        lastForeignCores = ((cpu1[0] - cpu0[0]) - (cpu1[1] - cpu0[1])) / 100.0 / ((wall1 - wall0) / 1e9);
        Arrays.sort(rounds);
        lastAllocTotal = alloc;
        lastCalls = (long) reps * rounds.length;
        return new double[] {rounds[rounds.length / 2], rounds[0], (double) alloc / (reps * rounds.length)};
    }

    /** The caller and the pool's workers. */
    private static long[] threadIds() {
        List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().threadId());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("vim4j-kernel-")) {
                ids.add(t.threadId());
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long allocated(long[] ids) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : ids) {
            sum += Math.max(0, mx.getThreadAllocatedBytes(id)); // the single-id form returns a long: no array
        }
        return sum;
    }
}
