package org.vim4j.backend.ffm;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.bindings.vim4j_h;
import org.vim4j.kernel.LinearWeight;
import org.vim4j.tensor.Tensor;
import org.vim4j.BackendKind;
import org.vim4j.OutputKind;
import org.vim4j.VimConfig;

/**
 * Manual benchmark (not a unit test): what the FFM downcalls of the NATIVE backend cost relative to a
 * whole Vim-Tiny 224 forward, batch 1. It measures, in one JVM,
 * <ol>
 *   <li>the cost of one downcall: a plain handle ({@code vim4j_abi_version}, no work), a
 *       {@code critical(true)} handle ({@code vim4j_add_rms_norm} on one 16-float row, almost no work), and a whole
 *       {@code NativeKernels.linear} call (checks, struct arguments, a 1 x 16 x 16 GEMM);</li>
 *   <li>how many downcalls one forward makes: a child JVM (same command line plus {@code --count}) runs with
 *       jextract's downcall trace on and counts the trace lines of one warmed-up forward (the trace flag is
 *       a static final, so the timed runs live in this JVM, where it is off);</li>
 *   <li>the forward's p50 latency;</li>
 * </ol>
 * and prints calls x cost / latency, charging every call the largest of the per-call costs (they include a tiny
 * kernel's own work, so it is an upper bound).
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp java/target/classes:java/target/test-classes:$(ls java/target/lib/*.jar | tr '\n' :) \
 *     org.vim4j.backend.ffm.DowncallOverheadBench [threads (default 2)]</pre>
 */
public final class DowncallOverheadBench {
    private static final String TRACE = "jextract.trace.downcalls";

    private DowncallOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean countMode = args.length > 0 && args[0].equals("--count");
        int threads = Integer.parseInt(args.length > (countMode ? 1 : 0) ? args[countMode ? 1 : 0] : "2");
        if (countMode) {
            System.setProperty(TRACE, "true");  // before the bindings class initialises
            CountingOut counter = new CountingOut();
            PrintStream real = System.out;
            System.setOut(new PrintStream(counter, true));
            try (Forward f = new Forward(threads)) {
                f.warmUp();
                counter.arm(true);
                f.run();
                counter.arm(false);
            }
            real.println(counter.lines.get());
            return;
        }
        NativeLibrary.Status status = NativeLibrary.status();
        if (!status.available()) {
            throw new IllegalStateException("native library unavailable: " + status.reason());
        }
        double plainNs, criticalNs, structNs;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocate(16 * 4L, 64);
            MemorySegment w = arena.allocate(16 * 4L, 64);
            w.fill((byte) 0x3f);
            plainNs = perCallNs(() -> vim4j_h.vim4j_abi_version());
            criticalNs = perCallNs(() -> vim4j_h.vim4j_add_rms_norm(MemorySegment.NULL, row, row, w, row, 1, 16, 1e-5f));
            // The whole Java side of a struct-argument kernel: bounds and liveness checks, the struct fields written
            // into the per-thread scratch, the critical downcall and a 1 x 16 x 16 GEMM's work.
            try (NativeKernels nk = new NativeKernels(1)) {
                LinearWeight lw = nk.prepareLinear(Tensor.copyOf(arena, "w", new float[256], 16, 16), null, arena);
                structNs = perCallNs(() -> nk.linear(row, 0, 16, 1, lw, row, 0, 16));
            }
        }
        double p50;
        try (Forward f = new Forward(threads)) {
            f.warmUp();
            long[] ns = new long[100];
            for (int i = 0; i < ns.length; i++) {
                long t0 = System.nanoTime();
                f.run();
                ns[i] = System.nanoTime() - t0;
            }
            Arrays.sort(ns);
            p50 = ns[ns.length / 2];
        }
        long calls = countInChild(threads);
        System.out.printf("downcall cost: plain %.1f ns, critical %.1f ns, NativeKernels.linear with its structs %.1f ns "
                + "(median of 20 rounds of 1M calls)%n", plainNs, criticalNs, structNs);
        System.out.printf("Vim-Tiny 224 batch 1, NATIVE, %d threads: %d downcalls per forward, p50 %.2f ms%n",
                threads, calls, p50 / 1e6);
        double perCall = Math.max(Math.max(plainNs, criticalNs), structNs);
        System.out.printf("downcall overhead: %d x %.1f ns = %.2f us = %.4f %% of a forward%n",
                calls, perCall, calls * perCall / 1e3, 100.0 * calls * perCall / p50);
    }

    private static long countInChild(int threads) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(DowncallOverheadBench.class.getName());
        cmd.add("--count");
        cmd.add(Integer.toString(threads));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("counting child failed: " + out);
        }
        String[] lines = out.split("\\R");
        return Long.parseLong(lines[lines.length - 1].trim());
    }

    /** A Vim-Tiny 224 batch-1 NATIVE forward with random weights. */
    private static final class Forward implements AutoCloseable {
        private final VimModel model;
        private final VimSession session;
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment in;
        private final MemorySegment logits;

        Forward(int threads) {
            VimOptions options = VimOptions.defaults().withBackend(BackendKind.NATIVE).withThreads(threads);
            model = VimModel.random(VimConfig.tiny(), 1, options);
            session = model.newSession(1, 224, 224);
            in = arena.allocate(3L * 224 * 224 * 4, 64);
            for (long i = 0; i < 3L * 224 * 224; i++) {
                in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i * 0.01));
            }
            logits = arena.allocate(1000L * 4, 64);
        }

        void warmUp() {
            for (int i = 0; i < 30; i++) {
                run();
            }
        }

        void run() {
            session.run(OutputKind.LOGITS, in, 1, 224, 224, logits);
        }

        @Override
        public void close() {
            session.close();
            model.close();
            arena.close();
        }
    }

    private static double perCallNs(Runnable call) {
        double[] rounds = new double[20];
        for (int r = 0; r < rounds.length; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 1_000_000; i++) {
                call.run();
            }
            rounds[r] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(rounds);
        return rounds[rounds.length / 2];
    }

    /** Counts the trace lines printed while armed and swallows everything (the warm-up is traced too). */
    private static final class CountingOut extends OutputStream {
        final AtomicLong lines = new AtomicLong();
        private volatile boolean armed;

        void arm(boolean on) {
            armed = on;
        }

        @Override
        public void write(int b) {
            if (armed && b == '\n') {
                lines.incrementAndGet();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (!armed) {
                return;
            }
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    lines.incrementAndGet();
                }
            }
        }
    }
}
