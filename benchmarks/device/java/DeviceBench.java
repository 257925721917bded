import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.bindings.vim4j_cuda_h;
import org.vim4j.BackendKind;
import org.vim4j.backend.Backends;
import org.vim4j.OutputKind;
import org.vim4j.VimConfig;

/**
 * End-to-end CUDA benchmark of benchmarks/device/check.sh (random weights; timings do not depend on them):
 *
 *   DeviceBench latency MODEL RES ITERS        batch 1, with and without the CUDA graph: p50/p90/min ms
 *   DeviceBench throughput MODEL RES BATCH ITERS   images/s (graph on)
 *   DeviceBench memory MODEL RES ITERS         batch-1 time and peak device memory (allocator peak and cudaMemGetInfo)
 *
 * One JSON object per line on stdout. Times are wall clock around VimSession.run with caller-owned native
 * segments (host-to-device copy, the forward, device-to-host copy and the synchronisation included).
 * Precision from -Dvim4j.cuda.precision (default fp32).
 */
public final class DeviceBench {
    public static void main(String[] args) {
        if (!Backends.isAvailable(BackendKind.CUDA)) {
            System.out.println("{\"skipped\": \"" + Backends.unavailable().get(BackendKind.CUDA).replace('"', '\'') + "\"}");
            return;
        }
        System.out.println("{\"device\": \"" + org.vim4j.backend.cuda.CudaLibrary.status().device().replace('"', '\'') + "\"}");
        String mode = args[0], model = args[1];
        int res = Integer.parseInt(args[2]);
        switch (mode) {
            case "latency" -> {
                int iters = Integer.parseInt(args[3]);
                for (String graph : new String[] {"true", "false"}) {
                    System.setProperty("vim4j.cuda.graph", graph);
                    double[] t = run(model, res, 1, iters, false);
                    emit(model, res, 1, "latency", graph, t, 1);
                }
            }
            case "throughput" -> {
                int batch = Integer.parseInt(args[3]), iters = Integer.parseInt(args[4]);
                System.setProperty("vim4j.cuda.graph", "true");
                double[] t = run(model, res, batch, iters, false);
                emit(model, res, batch, "throughput", "true", t, batch);
            }
            case "memory" -> {
                int iters = Integer.parseInt(args[3]);
                System.setProperty("vim4j.cuda.graph", "true");
                run(model, res, 1, iters, true);
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
    }

    private static long[] allocated() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cur = a.allocate(ValueLayout.JAVA_LONG), peak = a.allocate(ValueLayout.JAVA_LONG);
            vim4j_cuda_h.vim4j_cuda_allocated(cur, peak);
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG), total = a.allocate(ValueLayout.JAVA_LONG);
            vim4j_cuda_h.vim4j_cuda_mem_info(free, total);
            return new long[] {cur.get(ValueLayout.JAVA_LONG, 0), peak.get(ValueLayout.JAVA_LONG, 0),
                    total.get(ValueLayout.JAVA_LONG, 0) - free.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    static double[] run(String model, int res, int batch, int iters, boolean memory) {
        VimConfig c = VimConfig.preset(model);
        long[] before = allocated();
        vim4j_cuda_h.vim4j_cuda_reset_peak();
        double[] ms = new double[iters];
        try (VimModel m = VimModel.random(c, 1, VimOptions.defaults().withBackend(BackendKind.CUDA).withThreads(1));
                VimSession s = m.newSession(batch, res, res); Arena arena = Arena.ofConfined()) {
            long inFloats = (long) batch * c.channels() * res * res;
            MemorySegment in = arena.allocate(inFloats * 4, 64), out = arena.allocate(s.outputFloats(OutputKind.LOGITS, batch, res, res) * 4, 64);
            java.util.Random r = new java.util.Random(3);
            for (long i = 0; i < inFloats; i++) {
                in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
            }
            int warm = Math.max(3, iters / 5);
            for (int i = 0; i < warm; i++) {
                s.run(OutputKind.LOGITS, in, batch, res, res, out);
            }
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                s.run(OutputKind.LOGITS, in, batch, res, res, out);
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            float first = out.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
            if (!Float.isFinite(first)) {
                throw new IllegalStateException("non-finite logits: " + first);
            }
            if (memory) {
                long[] after = allocated();
                double[] sorted = ms.clone();
                Arrays.sort(sorted);
                System.out.println(String.format(Locale.ROOT,
                        "{\"kind\": \"memory\", \"model\": \"%s\", \"resolution\": %d, \"tokens\": %d, \"p50_ms\": %.3f, "
                                + "\"peak_allocated_MiB\": %.1f, \"device_used_delta_MiB\": %.1f, \"workspace_host_MiB\": %.1f}",
                        model, res, s.maxTokens(), sorted[sorted.length / 2], (after[1] - before[0]) / 1048576.0,
                        (after[2] - before[2]) / 1048576.0, s.workspaceBytes() / 1048576.0));
            }
        }
        return ms;
    }

    static void emit(String model, int res, int batch, String kind, String graph, double[] ms, int images) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double p50 = s[s.length / 2], p90 = s[(int) Math.min(s.length - 1, Math.round(s.length * 0.9))];
        System.out.println(String.format(Locale.ROOT,
                "{\"kind\": \"%s\", \"model\": \"%s\", \"resolution\": %d, \"batch\": %d, \"graph\": %s, \"precision\": \"%s\", "
                        + "\"p50_ms\": %.4f, \"p90_ms\": %.4f, \"min_ms\": %.4f, \"images_per_s\": %.1f}",
                kind, model, res, batch, graph, System.getProperty("vim4j.cuda.precision", "fp32"), p50, p90, s[0],
                images * 1000.0 / p50));
    }
}
