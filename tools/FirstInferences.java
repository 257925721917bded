import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import org.vim4j.BackendKind;
import org.vim4j.OutputKind;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.WarmUp;

/**
 * A new JVM's first inferences against its steady state (README "Cold start"): the time from JVM start to the first
 * logits, the model load, each of the first N batch-1 inferences, and the steady-state median after a warm-up, with
 * the worst of the first N as a multiple of it (the target: within 2x).
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
 *        -cp "cli/target/vim4j-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" tools/FirstInferences.java \
 *        vim_t.pth native 2 20 10 steady
 * </pre>
 *
 * Arguments: checkpoint, backend, threads, N first inferences, seconds of running before the steady-state median, and
 * optionally the load's warm-up (none, quick: the default, steady; {@code WarmUp}). The
 * input is a fixed pseudo-random image at the checkpoint's resolution. Started as a source file, the JVM compiles
 * this class first (~0.3 s): compare the times after main, or launch a compiled copy for the JVM-start figure.
 */
public class FirstInferences {
    public static void main(String[] args) {
        long startMs = ManagementFactory.getRuntimeMXBean().getStartTime();
        long t0 = System.nanoTime();
        long mainAtMs = System.currentTimeMillis() - startMs;
        int threads = Integer.parseInt(args[2]), first = Integer.parseInt(args[3]);
        double warmSeconds = Double.parseDouble(args[4]);
        VimOptions options = VimOptions.defaults().withBackend(BackendKind.valueOf(args[1].toUpperCase(Locale.ROOT)))
                .withThreads(threads).withWarmUp(args.length > 5 ? WarmUp.parse(args[5]) : WarmUp.QUICK);
        try (VimModel model = VimModel.load(Path.of(args[0]), options); Arena arena = Arena.ofConfined()) {
            long loaded = System.nanoTime();
            int side = model.config().imgSize();
            try (VimSession s = model.newSession(1, side, side)) {
                long n = (long) model.config().channels() * side * side;
                MemorySegment in = arena.allocate(n * 4, 64);
                for (long i = 0; i < n; i++) {
                    in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i * 0.37));
                }
                MemorySegment out = arena.allocate(s.outputFloats(OutputKind.LOGITS, 1, side, side) * 4, 64);
                double[] firstMs = new double[first];
                long firstLogits = 0;
                for (int i = 0; i < first; i++) {
                    long a = System.nanoTime();
                    s.run(OutputKind.LOGITS, in, 1, side, side, out);
                    long b = System.nanoTime();
                    firstMs[i] = (b - a) / 1e6;
                    if (i == 0) {
                        firstLogits = b;
                    }
                }
                long warmEnd = System.nanoTime() + (long) (warmSeconds * 1e9);
                while (System.nanoTime() < warmEnd) {
                    s.run(OutputKind.LOGITS, in, 1, side, side, out);
                }
                double[] steady = new double[50];
                for (int i = 0; i < steady.length; i++) {
                    long a = System.nanoTime();
                    s.run(OutputKind.LOGITS, in, 1, side, side, out);
                    steady[i] = (System.nanoTime() - a) / 1e6;
                }
                Arrays.sort(steady);
                double p50 = steady[steady.length / 2];
                double worst = Arrays.stream(firstMs).max().orElse(0);
                System.out.printf(Locale.ROOT, "%s, %d threads: JVM start to main %d ms, main to first logits %.0f ms "
                        + "(load %.0f ms, of which warm-up %s)%n", model.backend().id(), model.threads(), mainAtMs,
                        (firstLogits - t0) / 1e6, (loaded - t0) / 1e6, model.warmUpResult());
                StringBuilder b = new StringBuilder("first " + first + " inferences, ms:");
                for (double v : firstMs) {
                    b.append(String.format(Locale.ROOT, " %.1f", v));
                }
                System.out.println(b);
                System.out.printf(Locale.ROOT, "steady p50 %.1f ms (50 runs after %.0f s); worst of the first %d: %.2fx%n",
                        p50, warmSeconds, first, worst / p50);
            }
        }
    }
}
