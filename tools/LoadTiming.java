import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import org.vim4j.VimModel;
import org.vim4j.io.CheckpointReader;

/**
 * What loading a checkpoint costs, in one JVM, for comparing two builds (README, "Reliability and security"):
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *        -cp "java/target/classes:java/target/lib/*" tools/LoadTiming.java 10 a.pth b.pth ...
 * </pre>
 *
 * For each file: two warm-up rounds, then N rounds of reading the weights (CheckpointReader.read: zip directory,
 * pickle, tensors) and of loading the model (VimModel.load: also config inference and placing the weights for the
 * backend); prints the median and the minimum of each, and the heap the read allocates.
 */
public class LoadTiming {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int f = 1; f < args.length; f++) {
            Path p = Path.of(args[f]);
            long[] read = new long[n];
            long[] load = new long[n];
            long allocated = 0;
            for (int i = -2; i < n; i++) {
                long a0 = mx.getCurrentThreadAllocatedBytes();
                long t0 = System.nanoTime();
                CheckpointReader.read(p).close();
                long t1 = System.nanoTime();
                allocated = mx.getCurrentThreadAllocatedBytes() - a0;
                VimModel.load(p).close();
                long t2 = System.nanoTime();
                if (i >= 0) {
                    read[i] = t1 - t0;
                    load[i] = t2 - t1;
                }
            }
            Arrays.sort(read);
            Arrays.sort(load);
            System.out.printf(Locale.ROOT, "%s: read median %.1f ms (min %.1f), load median %.1f ms (min %.1f), read allocates %.2f MB%n",
                    p.getFileName(), read[n / 2] / 1e6, read[0] / 1e6, load[n / 2] / 1e6, load[0] / 1e6, allocated / 1048576.0);
        }
    }
}
