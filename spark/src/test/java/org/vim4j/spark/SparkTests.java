package org.vim4j.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.apache.spark.sql.SparkSession;

import org.vim4j.VimModel;
import org.vim4j.VimOptions;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;
import org.vim4j.io.idx.IdxDataset;

/**
 * What the Spark tests share, made once per test JVM: a local[2] session (never stopped: the JVM's exit does it) and
 * the 10,000 Fashion-MNIST test images as PNG files with the single-JVM API's logits for each.
 */
final class SparkTests {
    static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    private static SparkSession spark;
    private static FashionMnist fashionMnist;

    private SparkTests() {
    }

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("vim4j-spark-tests").config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4").getOrCreate();
        }
        return spark;
    }

    /**
     * The Fashion-MNIST test set as {@code <dir>/NNNNN-L.png} (index, label) 8-bit grey PNGs, and the API's answers:
     * {@code VimModel.loadDefault}, {@code ImageInput.fromFile} on each PNG, logits in batches of 100.
     */
    record FashionMnist(Path dir, int[] labels, float[] logits, float[] cls, int classes, int dim) {
        Path file(int i) {
            return dir.resolve(String.format("%05d-%d.png", i, labels[i]));
        }

        /** The index of the image a path, URI or origin names. */
        static int index(String path) {
            String name = path.substring(path.lastIndexOf('/') + 1);
            return Integer.parseInt(name.substring(0, 5));
        }
    }

    static boolean hasFashionMnist() {
        return Files.isDirectory(FASHION_MNIST);
    }

    static synchronized FashionMnist fashionMnist() {
        if (fashionMnist == null) {
            try {
                IdxDataset d = IdxDataset.read(FASHION_MNIST, "t10k");
                Path dir = tempDir("vim4j-fashion-mnist-png");
                int n = d.count(), px = d.rows() * d.cols();
                int[] labels = new int[n];
                BufferedImage img = new BufferedImage(d.cols(), d.rows(), BufferedImage.TYPE_BYTE_GRAY);
                for (int i = 0; i < n; i++) {
                    labels[i] = d.label(i);
                    img.getRaster().setDataElements(0, 0, d.cols(), d.rows(), java.util.Arrays.copyOfRange(d.pixels(), i * px, (i + 1) * px));
                    ImageIO.write(img, "png", dir.resolve(String.format("%05d-%d.png", i, labels[i])).toFile());
                }
                float[] logits = null, cls = null;
                int classes = 0, dim = 0, b = 100;
                try (VimModel m = VimModel.loadDefault(VimOptions.defaults()); VimSession s = m.newSession(b, 28, 28)) {
                    int size = m.preprocessing().outputSize(), per = size * size;
                    float[] x = new float[b * per];
                    for (int start = 0; start < n; start += b) {
                        for (int i = 0; i < b; i++) {
                            Path f = dir.resolve(String.format("%05d-%d.png", start + i, labels[start + i]));
                            System.arraycopy(ImageInput.fromFile(f, m.preprocessing()), 0, x, i * per, per);
                        }
                        float[] l = s.logits(x, b, size, size), f = s.classFeatures(x, b, size, size);
                        if (logits == null) {
                            classes = l.length / b;
                            dim = f.length / b;
                            logits = new float[n * classes];
                            cls = new float[n * dim];
                        }
                        System.arraycopy(l, 0, logits, start * classes, l.length);
                        System.arraycopy(f, 0, cls, start * dim, f.length);
                    }
                }
                fashionMnist = new FashionMnist(dir, labels, logits, cls, classes, dim);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return fashionMnist;
    }

    /** A temporary directory removed when the JVM exits. */
    static Path tempDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
        return dir;
    }

    static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
