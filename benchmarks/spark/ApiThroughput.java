import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;

/**
 * The single-JVM baseline of the Spark benchmark: every file under a directory through the public API (ImageInput.fromFile,
 * then VimSession.logits in batches), on W worker threads that each own a session of one shared model with T kernel
 * threads: W = 2, T = 1 is what spark-classify on local[2] does per executor core. Runs the whole set `passes` times
 * in one JVM and prints one JSON line per pass (the first pass includes the JIT's warm-up, as a fresh Spark job does).
 *
 *   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp 'java/target/lib/*:java/target/vim4j-core-*.jar' \
 *       benchmarks/spark/ApiThroughput.java DIR [workers] [threadsPerWorker] [batch] [passes]
 */
public class ApiThroughput {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int passes = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        long t0 = System.nanoTime();
        try (VimModel model = VimModel.loadDefault(VimOptions.defaults().withThreads(threads))) {
            double loadSecs = (System.nanoTime() - t0) / 1e9;
            Preprocessing p = model.preprocessing();
            int size = p.outputSize(), per = p.channels() * size * size;
            for (int pass = 1; pass <= passes; pass++) {
                AtomicInteger next = new AtomicInteger(), errors = new AtomicInteger(), top1Sum = new AtomicInteger();
                long start = System.nanoTime();
                Thread[] ts = new Thread[workers];
                for (int w = 0; w < workers; w++) {
                    ts[w] = new Thread(() -> {
                        try (VimSession s = model.newSession(batch, size, size)) {
                            float[] x = new float[batch * per];
                            int n;
                            // Workers take batches of consecutive files, as Spark tasks take partitions.
                            while ((n = Math.min(batch, files.size() - next.get())) > 0) {
                                int from = next.getAndAdd(batch);
                                if (from >= files.size()) {
                                    break;
                                }
                                n = Math.min(batch, files.size() - from);
                                int good = 0;
                                for (int i = 0; i < n; i++) {
                                    try {
                                        System.arraycopy(ImageInput.fromFile(files.get(from + i), p), 0, x, good++ * per, per);
                                    } catch (VimException e) {
                                        good--;
                                        errors.incrementAndGet();
                                    }
                                }
                                if (good > 0) {
                                    float[] in = good == batch ? x : java.util.Arrays.copyOf(x, good * per);
                                    float[] logits = s.logits(in, good, size, size);
                                    top1Sum.addAndGet((int) logits[0]); // keep the result live
                                }
                            }
                        }
                    });
                    ts[w].start();
                }
                for (Thread t : ts) {
                    t.join();
                }
                double secs = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "{\"pass\":%d,\"images\":%d,\"errors\":%d,\"seconds\":%.3f,\"images_per_s\":%.1f,"
                        + "\"workers\":%d,\"threads_per_worker\":%d,\"batch\":%d,\"backend\":\"%s\",\"load_seconds\":%.3f}%n", pass,
                        files.size(), errors.get(), secs, files.size() / secs, workers, threads, batch, model.backend().id(), loadSecs);
            }
        }
    }
}
