import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.vim4j.VimModel;
import org.vim4j.io.checkpoint.CheckpointReader;

/**
 * What loading a checkpoint costs, in one JVM, for comparing two builds (README, "Reliability and security"):
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dvim4j.backend=vector \
 *        -cp "cli/target/lib/*" tools/LoadTiming.java 10 a.pth b.pth ...
 *   java ... -Xmx256m -cp ... tools/LoadTiming.java hostile x.pth y.pth ...
 * </pre>
 *
 * With a count N: for each file, two warm-up rounds, then N rounds of reading the weights
 * (CheckpointReader.read: zip directory, pickle, tensors) and of loading the model (VimModel.load: also config
 * inference and placing the weights for the backend); prints the median and the minimum of each, the read's median
 * CPU time (steadier than wall time on a shared machine), and the heap the read allocates. With "hostile": each file read once, in a thread given 60 s; prints what became of it (loaded,
 * refused with which message, or which Error), its wall and CPU time and the heap it allocated.
 */
public class LoadTiming {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("hostile")) {
            for (int f = 1; f < args.length; f++) {
                hostile(Path.of(args[f]));
            }
            System.exit(0); // a read still running past its 60 s is abandoned
        }
        int n = Integer.parseInt(args[0]);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int f = 1; f < args.length; f++) {
            Path p = Path.of(args[f]);
            long[] read = new long[n];
            long[] readCpu = new long[n];
            long[] load = new long[n];
            long allocated = 0;
            for (int i = -2; i < n; i++) {
                long a0 = mx.getCurrentThreadAllocatedBytes();
                long c0 = mx.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                CheckpointReader.read(p).close();
                long t1 = System.nanoTime();
                long c1 = mx.getCurrentThreadCpuTime();
                allocated = mx.getCurrentThreadAllocatedBytes() - a0;
                VimModel.load(p).close();
                long t2 = System.nanoTime();
                if (i >= 0) {
                    read[i] = t1 - t0;
                    readCpu[i] = c1 - c0;
                    load[i] = t2 - t1;
                }
            }
            Arrays.sort(read);
            Arrays.sort(readCpu);
            Arrays.sort(load);
            System.out.printf(Locale.ROOT, "%s: read median %.1f ms (min %.1f; CPU median %.1f), load median %.1f ms (min %.1f), "
                    + "read allocates %.2f MB%n", p.getFileName(), read[n / 2] / 1e6, read[0] / 1e6, readCpu[n / 2] / 1e6,
                    load[n / 2] / 1e6, load[0] / 1e6, allocated / 1048576.0);
        }
    }

    static void hostile(Path p) throws InterruptedException {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        String[] outcome = {"still running after 60 s"};
        long[] cost = new long[3];
        Thread t = new Thread(() -> {
            long a0 = mx.getCurrentThreadAllocatedBytes();
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            try {
                CheckpointReader.read(p).close();
                outcome[0] = "loaded";
            } catch (Throwable e) {
                String m = String.valueOf(e.getMessage());
                outcome[0] = e.getClass().getSimpleName() + ": " + (m.length() > 160 ? m.substring(0, 157) + "..." : m)
                        + (m.length() > 160 ? " (" + m.length() + " characters)" : "");
            }
            cost[0] = System.nanoTime() - t0;
            cost[1] = mx.getCurrentThreadCpuTime() - c0;
            cost[2] = mx.getCurrentThreadAllocatedBytes() - a0;
        });
        t.setDaemon(true);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(60));
        if (t.isAlive()) {
            System.out.printf(Locale.ROOT, "%s: > 60 s, still running%n", p.getFileName());
        } else {
            System.out.printf(Locale.ROOT, "%s: %.0f ms wall, %.0f ms CPU, %.1f MB allocated: %s%n", p.getFileName(), cost[0] / 1e6,
                    cost[1] / 1e6, cost[2] / 1048576.0, outcome[0]);
        }
    }
}
