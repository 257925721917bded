import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

import org.vim4j.BackendKind;
import org.vim4j.OutputKind;
import org.vim4j.VimConfig;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;

/**
 * Per-inference latency of Vim-Tiny (random weights, 224x224, batch 1) with what explains its tail: how often the
 * kernel workers went to sleep (voluntary context switches of the threads named vim4j-*) and how often the calling
 * thread was switched out (involuntary), per inference, and the GCs in the timed loop (README "Cold start",
 * benchmarks/RESULTS.md "Cold start and tails"):
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC \
 *        -cp "cli/target/vim4j-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*" tools/TailLatency.java native 5 300 2
 * </pre>
 *
 * Arguments: backend, warm-up seconds, timed inferences, threads. Linux only (/proc/self/task).
 */
public class TailLatency {
    public static void main(String[] a) throws Exception {
        BackendKind kind = BackendKind.valueOf(a[0].toUpperCase(Locale.ROOT));
        double warmSeconds = Double.parseDouble(a[1]);
        int iterations = Integer.parseInt(a[2]);
        int threads = Integer.parseInt(a[3]);
        try (Arena arena = Arena.ofConfined();
                VimModel m = VimModel.random(VimConfig.tiny(), 42, VimOptions.defaults().withBackend(kind).withThreads(threads));
                VimSession s = m.newSession(1, 224, 224)) {
            long floats = 3L * 224 * 224;
            MemorySegment x = arena.allocate(floats * 4, 64);
            SplittableRandom r = new SplittableRandom(7);
            for (long i = 0; i < floats; i++) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 4 - 2));
            }
            MemorySegment out = arena.allocate(4L * m.config().numClasses(), 64);
            long end = System.nanoTime() + (long) (warmSeconds * 1e9);
            while (System.nanoTime() < end) {
                s.run(OutputKind.LOGITS, x, 1, 224, 224, out);
            }
            long gc0 = gcCount();
            long[] cs0 = switches();
            long[] ns = new long[iterations];
            for (int i = 0; i < iterations; i++) {
                long t = System.nanoTime();
                s.run(OutputKind.LOGITS, x, 1, 224, 224, out);
                ns[i] = System.nanoTime() - t;
            }
            long[] cs1 = switches();
            long gcs = gcCount() - gc0;
            Arrays.sort(ns);
            System.out.printf(Locale.ROOT, "%s, %d threads: per inference, kernel workers slept %.2f times (and were preempted %.2f), "
                    + "the caller was switched out %.2f times%n", m.backend().id(), threads, (cs1[0] - cs0[0]) / (double) iterations,
                    (cs1[1] - cs0[1]) / (double) iterations, (cs1[3] - cs0[3]) / (double) iterations);
            System.out.printf(Locale.ROOT, "ms: min %.2f p10 %.2f p50 %.2f p90 %.2f p99 %.2f max %.2f (%d inferences, %d GCs)%n",
                    ns[0] / 1e6, ns[iterations / 10] / 1e6, ns[iterations / 2] / 1e6, ns[iterations * 9 / 10] / 1e6,
                    ns[(int) Math.ceil(0.99 * (iterations - 1))] / 1e6, ns[iterations - 1] / 1e6, iterations, gcs);
        }
    }

    /** Context switches: [workers voluntary, workers involuntary, caller voluntary, caller involuntary]. */
    static long[] switches() throws Exception {
        long[] r = new long[4];
        long self = Long.parseLong(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
        try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                boolean caller = Long.parseLong(t.getFileName().toString()) == self;
                if (!caller && !Files.readString(t.resolve("comm")).startsWith("vim4j-")) {
                    continue;
                }
                int o = caller ? 2 : 0;
                for (String line : Files.readAllLines(t.resolve("status"))) {
                    if (line.startsWith("voluntary_ctxt_switches")) {
                        r[o] += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    } else if (line.startsWith("nonvoluntary_ctxt_switches")) {
                        r[o + 1] += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            }
        }
        return r;
    }

    static long gcCount() {
        long c = 0;
        for (var g : ManagementFactory.getGarbageCollectorMXBeans()) {
            c += Math.max(0, g.getCollectionCount());
        }
        return c;
    }
}
