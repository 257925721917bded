package org.vim4j.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.OutputKind;
import org.vim4j.VimConfig;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/**
 * {@code vim4j bench}: end-to-end latency of one configuration, steady state after warm-up.
 * Reports p50/p99 latency, throughput, the heap bytes allocated per inference (by the calling thread
 * and vim4j's kernel threads, from the JVM's per-thread allocation counters), off-heap weights + workspace bytes
 * and the process's peak RSS. The benchmarks module's harness does the same for DeiT and whole sweeps.
 */
final class BenchCommand implements Command {
    static final CommandSpec SPEC = new CommandSpec("vim4j bench",
            "Measure end-to-end inference latency (random weights unless --weights is given).")
            .with(OptionSpec.value("--model", "PRESET", "tiny | tiny+ | small | small+ | base.", "tiny"),
                    OptionSpec.value("--weights", "FILE", "Benchmark this checkpoint instead of random weights."),
                    OptionSpec.value("--resolution", "N", "Input height = width.", "224"),
                    OptionSpec.value("--batch", "N", "Images per inference.", "1"),
                    OptionSpec.value("--warmup", "SECONDS", "Warm-up seconds (JIT compilation).", "10"),
                    OptionSpec.value("--iterations", "N", "Timed inferences.", "50"),
                    OptionSpec.flag("--json", "Print one JSON object instead of text."))
            .with(ModelOptions.OPTIONS);

    private final String preset;
    private final Path weights;
    private final int resolution;
    private final int batch;
    private final double warmupSeconds;
    private final int iterations;
    private final boolean json;
    private final ModelOptions modelOptions;

    BenchCommand(ParsedArgs args) {
        preset = args.string("--model");
        weights = args.path("--weights");
        resolution = args.integer("--resolution");
        batch = args.integer("--batch");
        warmupSeconds = args.decimal("--warmup");
        iterations = args.integer("--iterations");
        json = args.flag("--json");
        modelOptions = ModelOptions.from(args);
    }

    /** The timings are kept (8 bytes each): a bound far beyond any useful run. */
    static final int MAX_ITERATIONS = 10_000_000;
    static final double MAX_WARMUP_SECONDS = 86_400;

    @Override
    public int run() {
        if (iterations < 1 || iterations > MAX_ITERATIONS) {
            throw new org.vim4j.VimException("--iterations " + iterations + ": must be between 1 and " + MAX_ITERATIONS);
        }
        if (batch < 1) {
            throw new org.vim4j.VimException("--batch " + batch + ": must be at least 1");
        }
        if (resolution < 1) {
            throw new org.vim4j.VimException("--resolution " + resolution + ": must be at least 1");
        }
        if (!(warmupSeconds >= 0 && warmupSeconds <= MAX_WARMUP_SECONDS)) { // also NaN
            throw new org.vim4j.VimException("--warmup " + warmupSeconds + ": must be between 0 and " + MAX_WARMUP_SECONDS + " seconds");
        }
        try (VimModel model = weights != null ? modelOptions.load(weights)
                : VimModel.random(VimConfig.preset(preset), 42, modelOptions.toOptions());
                VimSession session = model.newSession(batch, resolution, resolution);
                Arena arena = Arena.ofConfined()) {
            VimConfig c = model.config();
            long inFloats = (long) batch * c.channels() * resolution * resolution;
            MemorySegment in = arena.allocate(inFloats * 4, 64);
            SplittableRandom rnd = new SplittableRandom(7);
            for (long i = 0; i < inFloats; i++) {
                in.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) (rnd.nextDouble() * 4 - 2));
            }
            MemorySegment out = arena.allocate(session.outputFloats(OutputKind.LOGITS, batch, resolution, resolution) * 4, 64);

            if (!json && model.hasRandomWeights()) {
                System.err.println("bench: random weights (seed 42) of the " + preset + " size: timings only, outputs are meaningless");
            }
            long warmStart = System.nanoTime(), warmNanos = (long) (warmupSeconds * 1e9);
            Progress progress = new Progress("bench warm-up (ms)", Math.max(1, warmNanos / 1_000_000));
            int warm = 0;
            do {
                session.run(OutputKind.LOGITS, in, batch, resolution, resolution, out);
                warm++;
                if (!json) {
                    progress.update(Math.min(warmNanos, System.nanoTime() - warmStart) / 1_000_000, "runs " + warm);
                }
            } while (System.nanoTime() - warmStart < warmNanos);

            long[] threadIds = HeapAllocation.vim4jThreadIds();
            long heapBefore = HeapAllocation.allocatedBytes(threadIds);
            long[] nanos = new long[iterations];
            // No progress output in the timed loop: it would allocate and disturb the heap figure.
            for (int i = 0; i < iterations; i++) {
                long t0 = System.nanoTime();
                session.run(OutputKind.LOGITS, in, batch, resolution, resolution, out);
                nanos[i] = System.nanoTime() - t0;
            }
            long heapPerInference = (HeapAllocation.allocatedBytes(threadIds) - heapBefore) / iterations;
            Arrays.sort(nanos);
            double p50 = nanos[(int) (0.50 * (iterations - 1))] / 1e6;
            double p99 = nanos[(int) Math.ceil(0.99 * (iterations - 1))] / 1e6;
            double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
            double imagesPerSecond = batch * 1000.0 / mean;
            String weightsDesc = weights != null ? weights.toString() : "random (seed 42)";
            // The parameters at the model's precision (bf16 / int8 + scales for the layers that run it, fp32 for the
            // rest); the padding of packed copies a backend keeps is not counted.
            long weightBytes = model.weightBytes();
            if (json) {
                System.out.printf(Locale.ROOT,
                        "{\"impl\":\"vim4j-%s\",\"precision\":\"%s\",\"model\":\"%s\",\"weights\":\"%s\",\"resolution\":%d,\"batch\":%d,"
                                + "\"threads\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"mean_ms\":%.3f,\"images_per_s\":%.2f,"
                                + "\"heap_bytes_per_inference\":%d,\"workspace_bytes\":%d,\"weights_bytes\":%d,\"offheap_bytes\":%d,"
                                + "\"peak_rss_bytes\":%d,\"warmup_runs\":%d,\"iterations\":%d}%n",
                        model.backend().id(), model.precision().label(), preset, weightsDesc.replace("\\", "/"), resolution, batch, model.threads(), p50,
                        p99, mean, imagesPerSecond, heapPerInference, session.workspaceBytes(), weightBytes,
                        weightBytes + session.workspaceBytes(), peakRssBytes(), warm, iterations);
            } else {
                System.out.printf(Locale.ROOT, "vim4j bench  model=%s (%s)  %dx%d  batch=%d  backend=%s  precision=%s  threads=%d%n",
                        preset, weightsDesc, resolution, resolution, batch, model.backend().id(),
                        model.precision().label(), model.threads());
                System.out.printf(Locale.ROOT, "  latency  p50 %.2f ms   p99 %.2f ms   mean %.2f ms   (%d runs after %d warm-up runs)%n",
                        p50, p99, mean, iterations, warm);
                System.out.printf(Locale.ROOT, "  throughput %.1f images/s   heap allocated per inference %d B   workspace %.1f MiB%n",
                        imagesPerSecond, heapPerInference, session.workspaceBytes() / 1048576.0);
                System.out.printf(Locale.ROOT, "  off-heap: weights %.1f MiB + workspace = %.1f MiB   process peak RSS %.0f MiB%n",
                        weightBytes / 1048576.0, (weightBytes + session.workspaceBytes()) / 1048576.0, peakRssBytes() / 1048576.0);
            }
        }
        return 0;
    }

    /** The process's peak resident set (VmHWM), or -1 where /proc is not there. */
    private static long peakRssBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
