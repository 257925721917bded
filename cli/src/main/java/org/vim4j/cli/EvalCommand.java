package org.vim4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.vim4j.VimException;
import org.vim4j.VimModel;
import org.vim4j.VimSession;
import org.vim4j.image.ImageInput;
import org.vim4j.image.Preprocessing;
import org.vim4j.io.StrictUtf8;
import org.vim4j.io.idx.IdxStream;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.OptionSpec;
import org.vim4j.cli.args.ParsedArgs;

/**
 * {@code vim4j eval}: top-1/top-5 accuracy over a labelled dataset: the Fashion-MNIST IDX test files, or an
 * ImageFolder-style directory ({@code <dir>/<class>/<image>}, classes in sorted order as torchvision's
 * ImageFolder numbers them, or as a class-index file says).
 *
 * <p>Examples are streamed: memory is one batch (its input buffer and its session's workspace), whatever the
 * number of images. A batch whose buffers cannot fit is refused before anything is read, naming the limit.
 */
final class EvalCommand implements Command {
    static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    /** A class-index file is a list of folder names: far below this. */
    static final long MAX_CLASS_INDEX_BYTES = 16L << 20;

    static final CommandSpec SPEC = new CommandSpec("vim4j eval", "Measure top-1/top-5 accuracy on a dataset.")
            .with(OptionSpec.required("--dataset", "NAME", "fashion-mnist | imagefolder."),
                    OptionSpec.value("--data-dir", "DIR", "Dataset directory (fashion-mnist default: "
                            + "/usr/share/datasets/fashion-mnist, from Debian's dataset-fashion-mnist)."),
                    OptionSpec.value("--class-index", "FILE", "imagefolder: file mapping class folders to indices, "
                            + "one '<folder> [index]' per line (no index = line order). Default: sorted folder names."),
                    OptionSpec.value("--batch", "N", "Images per inference.", "64"),
                    OptionSpec.value("--limit", "N", "Evaluate only the first N images."),
                    OptionSpec.flag("--json", "Print one JSON object (with a top1 field) instead of text."))
            .with(WeightsOption.OPTIONS);

    private final String dataset;
    private final Path dataDir;
    private final Path classIndex;
    private final int batch;
    private final Integer limit;
    private final boolean json;
    private final WeightsOption weights;

    EvalCommand(ParsedArgs args) {
        dataset = args.string("--dataset");
        dataDir = args.path("--data-dir");
        classIndex = args.path("--class-index");
        batch = args.integer("--batch");
        limit = args.integer("--limit");
        json = args.flag("--json");
        weights = WeightsOption.from(args);
    }

    /** Labelled examples, read in order, one at a time. */
    interface Examples extends AutoCloseable {
        int size();

        /** Loads the next image into {@code dst} at {@code offset} and returns its label. */
        int next(float[] dst, int offset);

        @Override
        void close();
    }

    @Override
    public int run() {
        if (batch < 1) {
            throw new VimException("--batch " + batch + ": must be at least 1");
        }
        if (limit != null && limit < 1) {
            throw new VimException("--limit " + limit + ": must be at least 1");
        }
        try (VimModel model = weights.load()) {
            Preprocessing pre = model.preprocessing();
            int classes = model.config().numClasses();
            try (Examples ex = switch (dataset.toLowerCase(Locale.ROOT)) {
                case "fashion-mnist", "fashion_mnist", "fmnist" -> fashionMnist(pre);
                case "imagefolder" -> imageFolder(pre, classes);
                default -> throw new VimException("--dataset '" + dataset + "': expected fashion-mnist or imagefolder");
            }) {
                return evaluate(model, pre, ex, classes);
            }
        }
    }

    private int evaluate(VimModel model, Preprocessing pre, Examples ex, int classes) {
        int n = limit == null ? ex.size() : Math.min(limit, ex.size());
        if (n <= 0) {
            throw new VimException("the dataset has no images");
        }
        int size = pre.outputSize();
        int b = checkBatch(Math.min(batch, n), pre.channels(), size, model);
        long perImage = (long) pre.channels() * size * size;
        int top1 = 0, top5 = 0;
        long t0 = System.nanoTime();
        Progress progress = new Progress("eval", n);
        try (VimSession session = model.newSession(b, size, size)) {
            float[] x = new float[(int) (b * perImage)];
            int[] labels = new int[b];
            for (int start = 0; start < n; start += b) {
                int m = Math.min(b, n - start);
                for (int i = 0; i < m; i++) {
                    labels[i] = ex.next(x, (int) (i * perImage));
                }
                float[] logits = session.logits(m == b ? x : java.util.Arrays.copyOf(x, (int) (m * perImage)), m, size, size);
                for (int i = 0; i < m; i++) {
                    int rank = rank(logits, i * classes, classes, labels[i]);
                    top1 += rank == 0 ? 1 : 0;
                    top5 += rank < 5 ? 1 : 0;
                }
                int done = start + m;
                progress.update(done, String.format(Locale.ROOT, "top-1 %.2f%%", 100.0 * top1 / done));
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json) {
            System.out.printf(Locale.ROOT, "{\"dataset\":%s,\"images\":%d,\"top1\":%.6f,\"top5\":%.6f,\"seconds\":%.3f,"
                    + "\"images_per_s\":%.1f,\"backend\":\"%s\"}%n", org.vim4j.io.json.Json.quote(dataset), n, (double) top1 / n,
                    (double) top5 / n, secs, n / secs, model.backend().id());
        } else {
            System.out.printf(Locale.ROOT, "%s: %d images  top-1 %.2f%%  top-5 %.2f%%  (%.1f s, %.0f images/s, backend %s)%n",
                    dataset, n, 100.0 * top1 / n, 100.0 * top5 / n, secs, n / secs, model.backend().id());
        }
        return 0;
    }

    /**
     * {@code b}, if a batch of {@code b} images fits: its input buffer in a Java array and in a quarter of the
     * heap, its session workspace in half of the machine's memory. Otherwise a message naming the limit and the
     * largest batch that fits.
     */
    static int checkBatch(int b, int channels, int size, VimModel model) {
        long perImage = (long) channels * size * size;
        long heapLimit = Runtime.getRuntime().maxMemory() / 4;
        long maxByArray = (Integer.MAX_VALUE - 8) / perImage;
        long maxByHeap = heapLimit / (perImage * Float.BYTES);
        String image = channels + "x" + size + "x" + size;
        if (b > maxByArray || b > maxByHeap) {
            throw new VimException(String.format(Locale.ROOT, "--batch %d: the input buffer of %d images of %s is %,d bytes; "
                    + "at most %,d images fit in %s", b, b, image, b * perImage * Float.BYTES, Math.min(maxByArray, maxByHeap),
                    maxByArray <= maxByHeap ? "one Java array (2^31 floats)"
                            : String.format(Locale.ROOT, "the %,d bytes a batch may take (a quarter of this JVM's heap; raise -Xmx)", heapLimit)));
        }
        long workspace;
        try (VimSession one = model.newSession(1, size, size)) {
            workspace = one.workspaceBytes();
        }
        long memory = physicalMemory();
        if (memory > 0 && workspace > 0 && b > memory / 2 / workspace) {
            throw new VimException(String.format(Locale.ROOT, "--batch %d: the session workspace for %d images of %s would be "
                    + "%,d bytes (%,d per image); at most %,d images fit in half of this machine's %,d bytes of memory", b, b, image,
                    b * workspace, workspace, memory / 2 / workspace, memory));
        }
        return b;
    }

    private static long physicalMemory() {
        try {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
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

    private Examples fashionMnist(Preprocessing pre) {
        Path dir = dataDir != null ? dataDir : DEBIAN_FASHION_MNIST;
        if (!Files.isDirectory(dir)) {
            throw new VimException("Fashion-MNIST not found in " + dir + " (apt-get install dataset-fashion-mnist, or pass --data-dir)");
        }
        IdxStream d = IdxStream.open(dir, "t10k");
        if (pre.channels() != 1 || pre.outputSize() != d.rows() || d.rows() != d.cols()) {
            d.close();
            throw new VimException("Fashion-MNIST images are 1x" + d.rows() + "x" + d.cols() + " but the model expects "
                    + pre.channels() + "x" + pre.outputSize() + "x" + pre.outputSize());
        }
        float mean = pre.mean()[0], std = pre.std()[0];
        byte[] px = new byte[d.rows() * d.cols()];
        return new Examples() {
            public int size() {
                return d.count();
            }

            public int next(float[] dst, int offset) {
                int label = d.next(px);
                for (int p = 0; p < px.length; p++) {
                    dst[offset + p] = ((px[p] & 0xff) / 255f - mean) / std;
                }
                return label;
            }

            public void close() {
                d.close();
            }
        };
    }

    static boolean isImage(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png|bmp|gif)$");
    }

    /**
     * ImageFolder: classes in name order; the images of one class are listed (and sorted) only when the class is
     * reached, so memory holds one class's file names, not the dataset's.
     */
    private Examples imageFolder(Preprocessing pre, int classes) {
        if (dataDir == null || !Files.isDirectory(dataDir)) {
            throw new VimException("--data-dir must name an ImageFolder directory (<dir>/<class>/<image>)"
                    + (dataDir == null ? "" : ": " + dataDir + " is not a directory"));
        }
        Map<String, Integer> index = classIndex(dataDir, classIndex, classes);
        long total = 0;
        for (String c : index.keySet()) {
            total += countImages(dataDir.resolve(c));
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new VimException(dataDir + ": " + total + " images; eval counts at most " + (Integer.MAX_VALUE - 8)
                    + " (use --limit, or split the dataset)");
        }
        int size = (int) total;
        Iterator<Map.Entry<String, Integer>> classesLeft = index.entrySet().iterator();
        return new Examples() {
            Iterator<Path> files = java.util.Collections.emptyIterator();
            int label;

            public int size() {
                return size;
            }

            public int next(float[] dst, int offset) {
                while (!files.hasNext()) {
                    if (!classesLeft.hasNext()) {
                        throw new VimException(dataDir + ": fewer images than were counted (did the folders change while "
                                + "eval ran?)");
                    }
                    Map.Entry<String, Integer> c = classesLeft.next();
                    files = listImages(dataDir.resolve(c.getKey())).iterator();
                    label = c.getValue();
                }
                float[] x = ImageInput.fromFile(files.next(), pre);
                if (x.length != (long) pre.channels() * pre.outputSize() * pre.outputSize()) {
                    throw new VimException("an image became " + x.length + " floats, not " + pre.channels() + "x" + pre.outputSize()
                            + "x" + pre.outputSize());
                }
                System.arraycopy(x, 0, dst, offset, x.length);
                return label;
            }

            public void close() {
            }
        };
    }

    private static long countImages(Path dir) {
        long n = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                n += isImage(p) ? 1 : 0;
            }
        } catch (IOException e) {
            throw new VimException("cannot list " + dir + ": " + e.getMessage());
        }
        return n;
    }

    private static List<Path> listImages(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (isImage(p)) {
                    files.add(p);
                }
            }
        } catch (IOException e) {
            throw new VimException("cannot list " + dir + ": " + e.getMessage());
        }
        files.sort(null);
        return files;
    }

    /**
     * Class folder name to class index, in name order: every sub-directory of {@code dir} numbered in sorted order,
     * or what {@code file} says. A class-index entry must be a plain folder name directly under {@code dir} (no
     * separators, no {@code .} or {@code ..}: a class index cannot make eval read outside {@code --data-dir}), and
     * its index must be one of the model's {@code classes}. Entries naming no folder are skipped (a dataset may
     * hold some of the classes).
     */
    static Map<String, Integer> classIndex(Path dir, Path file, int classes) {
        Map<String, Integer> m = new TreeMap<>();
        if (file == null) {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
                for (Path p : s) {
                    names.add(p.getFileName().toString());
                }
            } catch (IOException e) {
                throw new VimException("cannot list " + dir + ": " + e.getMessage());
            }
            names.sort(null);
            if (names.size() > classes) {
                throw new VimException(dir + ": " + names.size() + " class folders, but the model has " + classes + " classes");
            }
            for (int i = 0; i < names.size(); i++) {
                m.put(names.get(i), i);
            }
        } else {
            String text = readClassIndex(file);
            String[] lines = text.split("\r?\n", -1);
            int entry = 0;
            for (int ln = 0; ln < lines.length; ln++) {
                String line = lines[ln].strip();
                if (line.isEmpty()) {
                    continue;
                }
                String where = file + ": line " + (ln + 1);
                String[] parts = line.split("\\s+");
                if (parts.length > 2) {
                    throw new VimException(where + ": expected '<folder> [index]', got " + parts.length + " fields");
                }
                String name = parts[0];
                if (name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0
                        || name.indexOf('\0') >= 0) {
                    throw new VimException(where + ": '" + name + "' is not a folder name inside --data-dir "
                            + "(a class is a folder directly under it: no '/', '\\', '.' or '..')");
                }
                int idx = entry;
                if (parts.length == 2) {
                    if (!parts[1].matches("[0-9]{1,9}")) {
                        throw new VimException(where + ": index '" + parts[1] + "' is not a non-negative integer");
                    }
                    idx = Integer.parseInt(parts[1]);
                }
                if (idx >= classes) {
                    throw new VimException(where + ": index " + idx + " is outside the model's " + classes + " classes");
                }
                entry++;
                Path folder = dir.resolve(name); // one plain name: directly inside dir
                if (Files.isDirectory(folder) && m.putIfAbsent(name, idx) != null) {
                    throw new VimException(where + ": folder '" + name + "' is listed twice");
                }
            }
        }
        if (m.isEmpty()) {
            throw new VimException(dir + ": no class folders found" + (file == null ? "" : " among those " + file + " lists"));
        }
        return m;
    }

    /** The class-index file as text: at most {@link #MAX_CLASS_INDEX_BYTES}, strict UTF-8. */
    private static String readClassIndex(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new VimException("--class-index " + file + ": " + (Files.exists(file) ? "not a regular file" : "file not found"));
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) MAX_CLASS_INDEX_BYTES + 1);
        } catch (IOException e) {
            throw new VimException("--class-index " + file + ": cannot read: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_CLASS_INDEX_BYTES) {
            throw new VimException("--class-index " + file + ": larger than " + MAX_CLASS_INDEX_BYTES + " bytes; a class "
                    + "index lists folder names, one per line");
        }
        return StrictUtf8.decode(bytes, "--class-index " + file);
    }
}
