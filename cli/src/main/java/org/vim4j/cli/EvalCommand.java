package org.vim4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;
import org.vim4j.io.idx.IdxDataset;

/**
 * {@code vim4j eval}: top-1/top-5 accuracy over a labelled dataset: the Fashion-MNIST IDX test files, or an
 * ImageFolder-style directory ({@code <dir>/<class>/<image>}, classes in sorted order as torchvision's
 * ImageFolder numbers them, or as a class-index file says).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Measure top-1/top-5 accuracy on a dataset.")
final class EvalCommand implements Callable<Integer> {
    static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    @Option(names = "--dataset", required = true, description = "fashion-mnist | imagefolder")
    String dataset;

    @Option(names = "--data-dir", description = "Dataset directory (fashion-mnist default: " + "/usr/share/datasets/fashion-mnist"
            + ", from Debian's dataset-fashion-mnist).")
    Path dataDir;

    @Option(names = "--class-index", description = "imagefolder: file mapping class folders to indices, "
            + "one '<folder> [index]' per line (no index = line order). Default: sorted folder names.")
    Path classIndex;

    @Option(names = "--batch", defaultValue = "64", description = "Images per inference. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--limit", description = "Evaluate only the first N images.")
    Integer limit;

    @Option(names = "--json", description = "Print one JSON object (with a top1 field) instead of text.")
    boolean json;

    @Mixin
    WeightsOption weights;

    /** One labelled example source: fills an input buffer for image i and reports its label. */
    interface Examples {
        int size();

        int label(int i);

        void load(int i, float[] dst, int offset);
    }

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new VimException("--batch must be >= 1, got " + batch);
        }
        try (VimModel model = weights.load()) {
            Preprocessing pre = model.preprocessing();
            Examples ex = switch (dataset.toLowerCase(Locale.ROOT)) {
                case "fashion-mnist", "fashion_mnist", "fmnist" -> fashionMnist(model, pre);
                case "imagefolder" -> imageFolder(model, pre);
                default -> throw new VimException("--dataset '" + dataset + "': expected fashion-mnist or imagefolder");
            };
            int n = limit == null ? ex.size() : Math.min(limit, ex.size());
            if (n <= 0) {
                throw new VimException("dataset has no images");
            }
            int size = pre.outputSize(), perImage = pre.channels() * size * size;
            int classes = model.config().numClasses();
            int top1 = 0, top5 = 0;
            long t0 = System.nanoTime();
            Progress progress = new Progress("eval", n);
            try (VimSession session = model.newSession(Math.min(batch, n), size, size)) {
                float[] x = new float[Math.min(batch, n) * perImage];
                for (int start = 0; start < n; start += batch) {
                    int b = Math.min(batch, n - start);
                    for (int i = 0; i < b; i++) {
                        ex.load(start + i, x, i * perImage);
                    }
                    float[] logits = session.logits(b == x.length / perImage ? x : java.util.Arrays.copyOf(x, b * perImage), b, size, size);
                    for (int i = 0; i < b; i++) {
                        int rank = rank(logits, i * classes, classes, ex.label(start + i));
                        top1 += rank == 0 ? 1 : 0;
                        top5 += rank < 5 ? 1 : 0;
                    }
                    int done = start + b;
                    progress.update(done, String.format(Locale.ROOT, "top-1 %.2f%%", 100.0 * top1 / done));
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (json) {
                System.out.printf(Locale.ROOT, "{\"dataset\":\"%s\",\"images\":%d,\"top1\":%.6f,\"top5\":%.6f,\"seconds\":%.3f,"
                        + "\"images_per_s\":%.1f,\"backend\":\"%s\"}%n", dataset, n, (double) top1 / n, (double) top5 / n, secs,
                        n / secs, model.backend().id());
            } else {
                System.out.printf(Locale.ROOT, "%s: %d images  top-1 %.2f%%  top-5 %.2f%%  (%.1f s, %.0f images/s, backend %s)%n",
                        dataset, n, 100.0 * top1 / n, 100.0 * top5 / n, secs, n / secs, model.backend().id());
            }
        }
        return 0;
    }

    /** How many classes score strictly higher than the true one (0 = top-1 hit). */
    static int rank(float[] logits, int off, int classes, int label) {
        if (label < 0 || label >= classes) {
            throw new VimException("label " + label + " is outside the model's " + classes + " classes");
        }
        float v = logits[off + label];
        int r = 0;
        for (int j = 0; j < classes; j++) {
            if (logits[off + j] > v) {
                r++;
            }
        }
        return r;
    }

    private Examples fashionMnist(VimModel model, Preprocessing pre) {
        Path dir = dataDir != null ? dataDir : DEBIAN_FASHION_MNIST;
        if (!Files.isDirectory(dir)) {
            throw new VimException("Fashion-MNIST not found in " + dir + " (apt-get install dataset-fashion-mnist, or pass --data-dir)");
        }
        IdxDataset d = IdxDataset.read(dir, "t10k");
        if (pre.channels() != 1 || pre.outputSize() != d.rows() || d.rows() != d.cols()) {
            throw new VimException("Fashion-MNIST images are 1x" + d.rows() + "x" + d.cols() + " but the model expects "
                    + pre.channels() + "x" + pre.outputSize() + "x" + pre.outputSize());
        }
        float mean = pre.mean()[0], std = pre.std()[0];
        return new Examples() {
            public int size() {
                return d.count();
            }

            public int label(int i) {
                return d.label(i);
            }

            public void load(int i, float[] dst, int offset) {
                int px = d.rows() * d.cols();
                for (int p = 0; p < px; p++) {
                    dst[offset + p] = ((d.pixels()[i * px + p] & 0xff) / 255f - mean) / std;
                }
            }
        };
    }

    private Examples imageFolder(VimModel model, Preprocessing pre) {
        if (dataDir == null || !Files.isDirectory(dataDir)) {
            throw new VimException("--data-dir must name an ImageFolder directory (<dir>/<class>/<image>)");
        }
        Map<String, Integer> index = classIndex(dataDir, classIndex);
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        index.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            try (Stream<Path> s = Files.list(dataDir.resolve(e.getKey()))) {
                s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png|bmp|gif)$"))
                        .sorted().forEach(p -> {
                            files.add(p);
                            labels.add(e.getValue());
                        });
            } catch (IOException ex) {
                throw new VimException("cannot list " + dataDir.resolve(e.getKey()) + ": " + ex.getMessage());
            }
        });
        return new Examples() {
            public int size() {
                return files.size();
            }

            public int label(int i) {
                return labels.get(i);
            }

            public void load(int i, float[] dst, int offset) {
                float[] x = ImageInput.fromFile(files.get(i), pre);
                System.arraycopy(x, 0, dst, offset, x.length);
            }
        };
    }

    static Map<String, Integer> classIndex(Path dir, Path file) {
        Map<String, Integer> m = new HashMap<>();
        try {
            if (file == null) {
                try (Stream<Path> s = Files.list(dir)) {
                    List<String> names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
                    for (int i = 0; i < names.size(); i++) {
                        m.put(names.get(i), i);
                    }
                }
            } else {
                List<String> lines = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
                for (int i = 0; i < lines.size(); i++) {
                    String[] parts = lines.get(i).split("\\s+");
                    int idx = parts.length > 1 ? Integer.parseInt(parts[1]) : i;
                    if (Files.isDirectory(dir.resolve(parts[0]))) {
                        m.put(parts[0], idx);
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new VimException("cannot read the class index: " + e.getMessage());
        }
        if (m.isEmpty()) {
            throw new VimException(dir + ": no class folders found");
        }
        return m;
    }
}
